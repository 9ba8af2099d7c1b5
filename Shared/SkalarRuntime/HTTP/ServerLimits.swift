/// The explicit bounds every listener enforces.
public struct ServerLimits: Sendable {
    /// Largest request body accepted; a larger one gets 413 with the JSON error body.
    public var maxBodyBytes: Int
    /// Largest request line plus header block; a larger one gets 400 and the connection is closed.
    public var maxHeaderBytes: Int
    /// A connection that sends nothing for this long, idle or mid-request, is closed. The default (75 s)
    /// outlasts the 60 s idle timeouts common in load balancers, so a proxy closes an idle keep-alive
    /// connection before the server does and never sends a request into a closing socket.
    public var idleTimeout: Duration

    public init(maxBodyBytes: Int, maxHeaderBytes: Int, idleTimeout: Duration) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.idleTimeout = idleTimeout
    }
}
