import CLibEvent
import Glibc
import HTTPTypes

/// One evhttp server on one event base: its listening socket, its limits, and the callbacks through which
/// it hands over each request and reports each freed connection.
final class EvHTTPServer {
    /// libevent 2.1 answers a body past its own cap with a bare HTML 413 before any callback runs, and that
    /// reply cannot carry the contract's headers (2.2's `evhttp_set_errorcb` could). So evhttp's cap sits
    /// this many times above the server's limit: such bodies reach the server, which answers its JSON 413.
    static let bodyCapFactor = 4

    private let http: OpaquePointer
    private let base: EventBase
    private var boundSocket: OpaquePointer?
    private var freed = false
    private let onRequest: (ServerExchange) -> Void
    private let onConnectionClosed: (ServerConnection) -> Void

    /// `maxBodyBytes` is the server's own limit, which the callback enforces; see `bodyCapFactor`.
    init(
        base: EventBase, maxHeaderBytes: Int, maxBodyBytes: Int, idleTimeout: Duration,
        onRequest: @escaping (ServerExchange) -> Void, onConnectionClosed: @escaping (ServerConnection) -> Void
    ) {
        guard let http = evhttp_new(base.pointer) else { fatalError("evhttp_new failed") }
        self.http = http
        self.base = base
        self.onRequest = onRequest
        self.onConnectionClosed = onConnectionClosed
        // Every method reaches the router, which answers 405 with Allow instead of evhttp's bare 501.
        let allMethods = HTTPRequest.Method.evhttpCommands.reduce(0) { $0 | $1.rawValue }
        evhttp_set_allowed_methods(http, UInt16(allMethods))
        evhttp_set_max_headers_size(http, maxHeaderBytes)
        evhttp_set_max_body_size(http, max(maxBodyBytes, 64 << 10) * Self.bodyCapFactor)
        var timeout = timeval(idleTimeout)
        evhttp_set_timeout_tv(http, &timeout)
        // Without this evhttp labels bodies without a type "text/html; charset=ISO-8859-1".
        evhttp_set_default_content_type(http, nil)
        evhttp_set_gencb(http, serverRequestArrived, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Binds a listening socket; returns the port it got. `reusePort` lets several servers (one per loop)
    /// bind the same port, and the kernel spreads new connections across them.
    func bind(_ address: SocketAddress, reusePort: Bool) -> Result<Int, SystemError> {
        var flags = LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC
        if reusePort { flags |= LEV_OPT_REUSEABLE_PORT }
        var storage = address.storage
        let listener = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                evconnlistener_new_bind(base.pointer, nil, nil, UInt32(flags), 1024, $0, Int32(address.length))
            }
        }
        guard let listener else { return .failure(SystemError(code: errno)) }
        boundSocket = evhttp_bind_listener(http, listener)
        return .success(SocketAddress.boundPort(of: evconnlistener_get_fd(listener)))
    }

    /// Closes the listening socket; connections already open keep being served.
    func stopAccepting() {
        guard let boundSocket else { return }
        evhttp_del_accept_socket(http, boundSocket)
        self.boundSocket = nil
    }

    /// Reports the connection's release to `onConnectionClosed`; evhttp calls back for every incoming
    /// connection it frees, so a watched connection is never left dangling.
    func watchClose(of connection: ServerConnection) {
        evhttp_connection_set_closecb(
            connection.pointer, serverConnectionClosed, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Frees the server, which closes every connection still open. Call once no exchange is unanswered.
    func free() {
        guard !freed else { return }
        freed = true
        evhttp_free(http)
    }

    deinit {
        // evhttp holds unretained pointers to this server in its callbacks.
        free()
    }

    fileprivate func requestArrived(_ request: OpaquePointer) {
        onRequest(ServerExchange(request))
    }

    fileprivate func connectionClosed(_ connection: OpaquePointer) {
        onConnectionClosed(ServerConnection(pointer: connection))
    }
}

private func serverRequestArrived(_ request: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) {
    guard let request, let argument else { return }
    Unmanaged<EvHTTPServer>.fromOpaque(argument).takeUnretainedValue().requestArrived(request)
}

private func serverConnectionClosed(_ connection: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) {
    guard let connection, let argument else { return }
    Unmanaged<EvHTTPServer>.fromOpaque(argument).takeUnretainedValue().connectionClosed(connection)
}
