// swift-tools-version:6.0
import PackageDescription

/// Version and revision compiled into both services; the Dockerfiles pass their VERSION and REVISION
/// build args through these variables, so `X-App-Version` matches the image tag.
let buildInfoDefines: [CSetting] = [
    ("SKALAR_VERSION", Context.environment["SKALAR_VERSION"]),
    ("SKALAR_REVISION", Context.environment["SKALAR_REVISION"]),
].compactMap { name, value in
    guard let value, !value.isEmpty else { return nil }
    return .define(name, to: "\"\(value)\"")
}

// Skalar: two HTTP services on libevent's evhttp.
//
//   Shared/CLibEvent, CLibPQ, CSQLite, CZlib  system libraries, reached only through the modules that
//                                      wrap them
//   Shared/SkalarRuntime               event loops, HTTP server and client, router, config, logs, metrics,
//                                      health, faults and graceful shutdown; knows nothing of either service
//   Shared/SkalarSQLite                a thin libsqlite3 wrapper: connections, cached statements, migrations
//   Shared/SkalarPostgres              libpq on the event loops: non-blocking pipelined connections, a pool
//                                      per loop, prepared statements, migrations under an advisory lock
//   Shared/SkalarTesting               for tests only: a service's request pipeline run in-process, no socket;
//                                      loopback peers for the client (a refusing port, a scripted server)
//   Services/Frontend, Services/Backend  thin executables: routes, domain and storage
//   loadtest/loadgen                   the load generator, on the runtime's event loops and HTTP client
let package = Package(
    name: "Skalar",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "frontend", targets: ["Frontend"]),
        .executable(name: "backend", targets: ["Backend"]),
        .executable(name: "loadgen", targets: ["Loadgen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibEvent",
            path: "Shared/CLibEvent",
            pkgConfig: "libevent",
            providers: [.apt(["libevent-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            path: "Shared/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            path: "Shared/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Shared/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "CBuildInfo",
            path: "Shared/CBuildInfo",
            cSettings: buildInfoDefines
        ),
        .target(
            name: "SkalarRuntime",
            dependencies: [
                "CBuildInfo",
                "CLibEvent",
                "CZlib",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Shared/SkalarRuntime"
        ),
        .target(
            name: "SkalarSQLite",
            dependencies: ["CSQLite"],
            path: "Shared/SkalarSQLite"
        ),
        .target(
            name: "SkalarPostgres",
            dependencies: ["CLibPQ", "SkalarRuntime", .product(name: "Logging", package: "swift-log")],
            path: "Shared/SkalarPostgres"
        ),
        .target(
            name: "SkalarTesting",
            dependencies: [
                "SkalarRuntime",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/SkalarTesting"
        ),
        .executableTarget(
            name: "Frontend",
            dependencies: ["SkalarRuntime"],
            path: "Services/Frontend"
        ),
        .executableTarget(
            name: "Backend",
            dependencies: [
                "SkalarPostgres", "SkalarRuntime", "SkalarSQLite", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Services/Backend"
        ),
        .executableTarget(
            name: "Loadgen",
            dependencies: [
                "SkalarRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "loadtest/loadgen"
        ),
        .executableTarget(
            name: "SkalarFuzz",
            dependencies: ["SkalarRuntime", .product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Tests/Fuzz",
            exclude: ["corpus"]
        ),
        .testTarget(
            name: "LoadgenTests",
            dependencies: ["Loadgen"],
            path: "Tests/LoadgenTests"
        ),
        .testTarget(
            name: "SkalarRuntimeTests",
            dependencies: ["SkalarRuntime", "SkalarTesting"],
            path: "Tests/SkalarRuntimeTests"
        ),
        .testTarget(
            name: "BackendTests",
            dependencies: ["Backend", "SkalarSQLite", "SkalarTesting"],
            path: "Tests/BackendTests"
        ),
        .testTarget(
            name: "FrontendTests",
            dependencies: ["Frontend", "SkalarTesting"],
            path: "Tests/FrontendTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
