import Glibc
import SkalarRuntime

/// Runs `body` with an endpoint on 127.0.0.1 that refuses every connection: a socket is bound to its port
/// but never listens, so a client's connect fails at once, and no other socket can take the port until
/// `body` returns.
public func withClosedLoopbackPort<Result>(_ body: (HTTPEndpoint) async throws -> Result) async rethrows -> Result {
    let (fd, endpoint) = bindLoopbackSocket()
    defer { close(fd) }
    return try await body(endpoint)
}

/// A TCP socket bound to a free port on 127.0.0.1, and that port as an endpoint.
func bindLoopbackSocket() -> (descriptor: Int32, endpoint: HTTPEndpoint) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket failed: \(String(cString: strerror(errno)))")
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    precondition(bound, "binding 127.0.0.1:0 failed: \(String(cString: strerror(errno)))")
    return (fd, HTTPEndpoint(host: "127.0.0.1", port: Int(UInt16(bigEndian: address.sin_port))))
}
