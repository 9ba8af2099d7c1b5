import CLibEvent

/// An outgoing evhttp connection to one host and port; it connects on its first request and reconnects
/// on a later one if the peer closed it. Loop-local; Sendable only so that a pool can hand it to a
/// waiting call on the same loop.
struct EvHTTPConnection: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Nil when libevent cannot make one (out of memory).
    init?(
        base: EventBase, resolver: DNSResolver, host: String, port: Int, maxResponseBytes: Int,
        maxResponseHeaderBytes: Int
    ) {
        guard let connection = evhttp_connection_base_new(base.pointer, resolver.pointer, host, UInt16(port)) else {
            return nil
        }
        evhttp_connection_set_max_body_size(connection, maxResponseBytes)
        evhttp_connection_set_max_headers_size(connection, maxResponseHeaderBytes)
        // Callers bound each call with their own deadline; evhttp's retry would hide connection failures
        // from the client's own retry rule.
        evhttp_connection_set_retries(connection, 0)
        pointer = connection
    }

    /// Closes the connection and frees it; it must not be used again.
    func close() {
        evhttp_connection_free(pointer)
    }
}
