import Glibc
import Logging

/// The settings both services share, in the order `--help` and the docs list them. Only the listeners'
/// default ports differ between the services.
public struct CommonSettings: Sendable {
    public let port: Setting<Int>
    public let adminPort: Setting<Int>
    public let bindAddress = Setting(
        "BIND_ADDRESS", default: "0.0.0.0", .ipAddress, help: "address of the main listener")
    public let adminBindAddress = Setting(
        "ADMIN_BIND_ADDRESS", default: "127.0.0.1", .ipAddress, help: "address of the admin listener")
    public let appVersion = Setting(
        "APP_VERSION", default: "compiled in (`SKALAR_VERSION` at build time, else `dev`)",
        computed: { ServiceConfiguration.compiledVersion }, .text,
        help: "the version in `X-App-Version`, `/version` and `app_build_info`")
    public let podName = Setting(
        "POD_NAME", default: "host name", computed: { CommonSettings.hostName() }, .text,
        help: "shown in `/version` and logs")
    public let eventLoops = Setting(
        "EVENT_LOOPS", default: "usable CPUs: affinity mask, capped by the cgroup CPU quota rounded up",
        computed: { UsableCPUs.count() }, .integer(in: 1...256), help: "number of libevent loops")
    public let logLevel = Setting(
        "LOG_LEVEL", default: Logger.Level.info, .choice, help: "the least severe level that is logged")
    public let logFormat = Setting(
        "LOG_FORMAT", default: "`json` (`text` on a terminal)",
        computed: { isatty(STDOUT_FILENO) == 1 ? LogFormat.text : .json }, .choice,
        help: "`json`: one JSON object per line; `text`: for reading in a terminal")
    public let accessLog = Setting(
        "ACCESS_LOG", default: true, .boolean, help: "one line per request (probes and metrics at debug level)")
    public let drain = Setting(
        "DRAIN_SECONDS", default: .seconds(5), .integerSeconds(in: 0...3600),
        help: "after SIGTERM: keep serving with readiness failed")
    public let shutdownTimeout = Setting(
        "SHUTDOWN_TIMEOUT_SECONDS", default: .seconds(10), .integerSeconds(in: 1...3600),
        help: "bound on finishing in-flight requests after the drain")
    public let maxBodyBytes = Setting(
        "MAX_BODY_BYTES", default: 1 << 20, .integer(in: 0...(256 << 20)), help: "larger request bodies get 413")
    public let maxHeaderBytes = Setting(
        "MAX_HEADER_BYTES", default: 16 << 10, .integer(in: 1024...(1 << 20)),
        help: "larger request heads get 431 and a close")
    public let idleTimeout = Setting(
        "IDLE_TIMEOUT_SECONDS", default: .seconds(75), .integerSeconds(in: 1...3600),
        help: "a connection silent this long, between or within requests, or not reading a response, is closed")
    public let headerTimeout = Setting(
        "HEADER_TIMEOUT_SECONDS", default: .seconds(10), .integerSeconds(in: 1...3600),
        help: "the whole request head must arrive within this, or 408 and a close")
    public let bodyTimeout = Setting(
        "BODY_TIMEOUT_SECONDS", default: .seconds(30), .integerSeconds(in: 1...3600),
        help: "the whole request body must arrive within this after the head, or 408 and a close")

    public init(defaultPort: Int, defaultAdminPort: Int) {
        port = Setting(
            "PORT", default: defaultPort, .integer(in: 0...65535), help: "main listener; 0 picks a free port (logged)")
        adminPort = Setting(
            "ADMIN_PORT", default: defaultAdminPort, .integer(in: 0...65535), help: "admin listener; 0 disables it")
    }

    public var all: [any SettingDescription] {
        [
            port, adminPort, bindAddress, adminBindAddress, appVersion, podName, eventLoops, logLevel, logFormat,
            accessLog, drain, shutdownTimeout, maxBodyBytes, maxHeaderBytes, idleTimeout, headerTimeout, bodyTimeout,
        ]
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(nulTerminated: buffer)
    }
}
