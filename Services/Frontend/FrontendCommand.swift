import SkalarRuntime

/// The frontend: the stateless web tier in front of the backend.
struct FrontendCommand: ServiceCommand {
    static let name = "frontend"
    static let abstract = "Skalar frontend: the web page and JSON API, backed by the backend."
    static let defaultPort = 8080
    static let defaultAdminPort = 9090

    static let backendURL = Setting(
        "BACKEND_URL", default: HTTPEndpoint(host: "127.0.0.1", port: 8081), .httpURL,
        help: "where the backend is")
    static let backendTimeout = Setting(
        "BACKEND_TIMEOUT_MS", default: .milliseconds(2000), .integerMilliseconds(in: 1...60_000),
        help: "deadline per backend call, connect included")
    static let cpuWork = Setting(
        "CPU_WORK_MS", default: .zero, .integerMilliseconds(in: 0...1000),
        help: "real CPU time burnt per page or API request, so a modest request rate drives an HPA")
    static let settings: [any SettingDescription] = [backendURL, backendTimeout, cpuWork]

    static func makeService(
        configuration: ServiceConfiguration, values: SettingValues
    ) throws(ConfigurationError) -> Service {
        let backendEndpoint = try values.value(of: backendURL)
        let backendTimeout = try values.value(of: Self.backendTimeout)
        let cpuWork = CPUWork(perRequest: try values.value(of: Self.cpuWork))

        let service = Service(configuration: configuration)
        let backend = BackendClient(
            client: HTTPClient(
                endpoint: backendEndpoint, timeout: backendTimeout, loops: service.loops, metrics: service.metrics))
        // The frontend's readiness deliberately ignores the backend: if it followed it, a backend outage
        // would pull every frontend pod out of its Service too, and users would get connection errors
        // instead of the page that says the backend is unavailable.
        PageRoutes(configuration: configuration, backend: backend, cpuWork: cpuWork).register(on: service.router)
        EntriesAPIRoutes(backend: backend, cpuWork: cpuWork).register(on: service.router)
        InfoRoutes(configuration: configuration, backend: backend, cpuWork: cpuWork).register(on: service.router)
        DemoRoutes().register(on: service.router)
        return service
    }
}
