import CBuildInfo
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
    /// How long the service keeps serving, with readiness failed, after the first shutdown signal.
    public var drain: Duration
    /// Bound on finishing in-flight requests once the drain is over.
    public var shutdownTimeout: Duration
    public var limits: ServerLimits
    public var accessLog: Bool

    /// The version compiled into this binary.
    public static var compiledVersion: String { String(cString: skalar_build_version()) }
    /// The source revision compiled into this binary.
    public static var compiledRevision: String { String(cString: skalar_build_revision()) }

    /// Resolves the shared settings, in the order they are listed; throws the first bad value.
    public init(service: String, settings: CommonSettings, values: SettingValues) throws(ConfigurationError) {
        self.service = service
        port = try values.value(of: settings.port)
        adminPort = try values.value(of: settings.adminPort)
        bindAddress = try values.value(of: settings.bindAddress)
        adminBindAddress = try values.value(of: settings.adminBindAddress)
        version = try values.value(of: settings.appVersion)
        revision = Self.compiledRevision
        podName = try values.value(of: settings.podName)
        eventLoops = try values.value(of: settings.eventLoops)
        logLevel = try values.value(of: settings.logLevel)
        logFormat = try values.value(of: settings.logFormat)
        accessLog = try values.value(of: settings.accessLog)
        drain = try values.value(of: settings.drain)
        shutdownTimeout = try values.value(of: settings.shutdownTimeout)
        limits = ServerLimits(
            maxBodyBytes: try values.value(of: settings.maxBodyBytes),
            maxHeaderBytes: try values.value(of: settings.maxHeaderBytes),
            idleTimeout: try values.value(of: settings.idleTimeout),
            headerTimeout: try values.value(of: settings.headerTimeout),
            bodyTimeout: try values.value(of: settings.bodyTimeout))
    }
}
