import CLibEvent

/// One event loop's keep-alive connections to one endpoint. Loop-local: only its loop touches it.
final class ConnectionPool {
    private let loop: EventLoop
    private let endpoint: HTTPEndpoint
    private let limits: HTTPClient.Limits
    private var idle: [OpaquePointer] = []
    private var busy = 0
    /// Asynchronous DNS, so resolving a Service name such as `backend-service` (search domains from
    /// /etc/resolv.conf included) never blocks the loop.
    private let dns: OpaquePointer?

    init(loop: EventLoop, endpoint: HTTPEndpoint, limits: HTTPClient.Limits) {
        self.loop = loop
        self.endpoint = endpoint
        self.limits = limits
        dns = evdns_base_new(loop.base, EVDNS_BASE_INITIALIZE_NAMESERVERS)
    }

    /// An idle connection, most recently used first, or a new one; nil when the pool is at its bound.
    func acquire() -> OpaquePointer? {
        if let connection = idle.popLast() {
            busy += 1
            return connection
        }
        guard busy < limits.maxConnectionsPerLoop,
              let connection = evhttp_connection_base_new(loop.base, dns, endpoint.host, UInt16(endpoint.port))
        else { return nil }
        evhttp_connection_set_max_body_size(connection, limits.maxResponseBytes)
        evhttp_connection_set_max_headers_size(connection, limits.maxResponseHeaderBytes)
        // Our own timer bounds each call; evhttp's retry would hide connection failures from the retry rule.
        evhttp_connection_set_retries(connection, 0)
        busy += 1
        return connection
    }

    /// Returns a connection after a complete response; a broken or unwanted one is closed instead.
    func release(_ connection: OpaquePointer, reusable: Bool) {
        busy -= 1
        if reusable && idle.count < limits.maxIdlePerLoop {
            idle.append(connection)
        } else {
            evhttp_connection_free(connection)
        }
    }
}
