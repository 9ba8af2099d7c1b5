import Glibc

/// `<service> healthcheck`: asks the running service's own `/healthz` on loopback and exits 0 when it
/// answers 200 within two seconds, 1 otherwise. It lets a plain Docker `HEALTHCHECK` work in an image
/// that has no curl or wget.
enum HealthcheckCommand {
    static let timeout = Duration.seconds(2)

    /// Checks the main listener's port, as the service resolves it; returns the exit status, 0 or 1.
    static func status(settings: CommonSettings) -> Int32 {
        guard let port = port(settings: settings) else { return 1 }
        return probe(port: port) ? 0 : 1
    }

    /// The port the service listens on: `PORT` read as the service reads it (`"9000 "` is 9000), else the
    /// default; nil for a `PORT` that would stop the service at start-up, which is unhealthy too.
    static func port(settings: CommonSettings, reader: ConfigurationReader = ConfigurationReader()) -> Int? {
        try? SettingValues(settings: [settings.port], reader: reader).value(of: settings.port)
    }

    static func probe(port: Int) -> Bool {
        guard let address = SocketAddress(host: "127.0.0.1", port: port) else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(Self.timeout)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var storage = address.storage
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
        }
        guard connected == 0 else { return false }
        let request =
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nUser-Agent: skalar-healthcheck\r\n\r\n"
        let sent = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        guard sent > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let received = recv(fd, &buffer, buffer.count, 0)
        guard received >= 12 else { return false }
        return buffer[0..<12].elementsEqual("HTTP/1.1 200".utf8)
    }
}
