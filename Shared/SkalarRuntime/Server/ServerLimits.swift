/// The explicit bounds every listener enforces.
public struct ServerLimits: Sendable {
    /// Largest request body accepted; a larger one gets 413 with the JSON error body.
    public var maxBodyBytes: Int
    /// Largest request line plus header block; a larger one gets 400 and the connection is closed.
    public var maxHeaderBytes: Int
    /// A connection that sends nothing for this long, idle or mid-request, is closed. The default (75 s)
    /// outlasts the 60 s idle timeouts common in load balancers, so a proxy closes an idle keep-alive
    /// connection before the server does and never sends a request into a closing socket.
    public var idleTimeoutSeconds: Int

    /// libevent 2.1 answers a body past its own cap with a bare HTML 413 that cannot carry our headers,
    /// so its cap sits above ours: bodies up to this many times `maxBodyBytes` reach the server's JSON 413.
    static let libeventBodyCapFactor = 4

    var libeventBodyCap: Int { max(maxBodyBytes, 64 << 10) * Self.libeventBodyCapFactor }

    public init(maxBodyBytes: Int, maxHeaderBytes: Int, idleTimeoutSeconds: Int) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}
