import CBuildInfo
import Glibc
import Logging

/// Everything the runtime needs to run a service, resolved from flags, environment and defaults.
public struct ServiceConfiguration: Sendable {
    /// `frontend` or `backend`: the `service` label of logs and `app_build_info`.
    public var service: String
    public var port: Int
    /// 0 disables the admin listener.
    public var adminPort: Int
    public var bindAddress: String
    public var adminBindAddress: String
    public var version: String
    public var revision: String
    public var podName: String
    public var eventLoops: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var drainSeconds: Int
    public var shutdownTimeoutSeconds: Int
    public var limits: ServerLimits
    public var accessLog: Bool

    /// The version compiled into this binary.
    public static var compiledVersion: String { String(cString: skalar_build_version()) }
    /// The source revision compiled into this binary.
    public static var compiledRevision: String { String(cString: skalar_build_revision()) }
}

/// The settings both services share, as flags; each also reads the environment variable named in its help.
public struct CommonOptions: ParsableArguments {
    @Option(help: "Main listener port (PORT).") var port: String?
    @Option(help: "Admin listener port, 0 disables it (ADMIN_PORT).") var adminPort: String?
    @Option(help: "Address of the main listener (BIND_ADDRESS, default 0.0.0.0).") var bindAddress: String?
    @Option(help: "Address of the admin listener (ADMIN_BIND_ADDRESS, default 127.0.0.1).") var adminBindAddress: String?
    @Option(help: "Version reported in X-App-Version, /version and app_build_info (APP_VERSION).") var appVersion: String?
    @Option(help: "Pod name shown in /version and logs (POD_NAME, default the host name).") var podName: String?
    @Option(help: "Number of event loops (EVENT_LOOPS, default usable CPUs within the cgroup quota).") var eventLoops: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (LOG_LEVEL).") var logLevel: String?
    @Option(help: "json or text (LOG_FORMAT, default json, text on a terminal).") var logFormat: String?
    @Option(help: "Seconds to keep serving with readiness failed after SIGTERM (DRAIN_SECONDS).") var drainSeconds: String?
    @Option(help: "Bound in seconds on finishing in-flight requests after the drain (SHUTDOWN_TIMEOUT_SECONDS).") var shutdownTimeoutSeconds: String?
    @Option(help: "Largest accepted request body in bytes; larger gets 413 (MAX_BODY_BYTES).") var maxBodyBytes: String?
    @Option(help: "Largest accepted request head in bytes (MAX_HEADER_BYTES).") var maxHeaderBytes: String?
    @Option(help: "Seconds a connection may sit idle or stall mid-request (IDLE_TIMEOUT_SECONDS).") var idleTimeoutSeconds: String?
    @Option(help: "Log every request at info level (ACCESS_LOG, default true).") var accessLog: String?

    public init() {}

    /// Resolves the shared settings; throws the first bad value.
    public func resolve(
        service: String, defaultPort: Int, defaultAdminPort: Int, reader: ConfigurationReader = ConfigurationReader()
    ) throws(ConfigurationError) -> ServiceConfiguration {
        let limits = ServerLimits(
            maxBodyBytes: try reader.integer(maxBodyBytes, "MAX_BODY_BYTES", in: 0...(256 << 20), default: 1 << 20),
            maxHeaderBytes: try reader.integer(maxHeaderBytes, "MAX_HEADER_BYTES", in: 1024...(1 << 20), default: 16 << 10),
            idleTimeout: .seconds(try reader.integer(idleTimeoutSeconds, "IDLE_TIMEOUT_SECONDS", in: 1...3600, default: 75)))
        let terminal = isatty(STDOUT_FILENO) == 1
        return ServiceConfiguration(
            service: service,
            port: try reader.integer(port, "PORT", in: 0...65535, default: defaultPort),
            adminPort: try reader.integer(adminPort, "ADMIN_PORT", in: 0...65535, default: defaultAdminPort),
            bindAddress: try reader.ipAddress(bindAddress, "BIND_ADDRESS", default: "0.0.0.0"),
            adminBindAddress: try reader.ipAddress(adminBindAddress, "ADMIN_BIND_ADDRESS", default: "127.0.0.1"),
            version: reader.string(appVersion, "APP_VERSION", default: ServiceConfiguration.compiledVersion),
            revision: ServiceConfiguration.compiledRevision,
            podName: reader.string(podName, "POD_NAME", default: Self.hostName()),
            eventLoops: try reader.integer(eventLoops, "EVENT_LOOPS", in: 1...256, default: UsableCPUs.count()),
            logLevel: try reader.choice(logLevel, "LOG_LEVEL", default: Logger.Level.info),
            logFormat: try reader.choice(logFormat, "LOG_FORMAT", default: terminal ? LogFormat.text : .json),
            drainSeconds: try reader.integer(drainSeconds, "DRAIN_SECONDS", in: 0...3600, default: 5),
            shutdownTimeoutSeconds: try reader.integer(shutdownTimeoutSeconds, "SHUTDOWN_TIMEOUT_SECONDS", in: 1...3600, default: 10),
            limits: limits,
            accessLog: try reader.boolean(accessLog, "ACCESS_LOG", default: true))
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension ConfigurationReader {
    /// A numeric IPv4 or IPv6 address to listen on.
    public func ipAddress(_ flag: String?, _ variable: String, default defaultValue: String) throws(ConfigurationError) -> String {
        let text = raw(flag, variable) ?? defaultValue
        guard SocketAddress(host: text, port: 0) != nil else {
            throw ConfigurationError(variable: variable, value: text, accepted: "a numeric IPv4 or IPv6 address")
        }
        return text
    }
}
