import CLibEvent

/// An incoming connection of an evhttp server; equal values are the same connection.
struct ServerConnection: Hashable {
    let pointer: OpaquePointer

    /// Bytes of responses still waiting in the connection's output buffer for the kernel to take them.
    var unsentBytes: Int {
        evbuffer_get_length(bufferevent_get_output(evhttp_connection_get_bufferevent(pointer)))
    }
}
