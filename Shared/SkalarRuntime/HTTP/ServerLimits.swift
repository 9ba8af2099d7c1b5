/// The explicit bounds every listener enforces.
public struct ServerLimits: Sendable {
    /// More header fields than this get 431 and a close: Apache's default, ten times what a browser
    /// behind a sidecar sends.
    public static let maxHeaderFields = 100

    /// Largest request body accepted; a larger one gets 413 with the JSON error body, before it is read
    /// when `Content-Length` declares it, and as soon as the chunks pass it when chunked.
    public var maxBodyBytes: Int
    /// Largest request line plus header block; a larger one gets 431 and the connection is closed.
    public var maxHeaderBytes: Int
    /// A connection with no request under way is closed after this long. The default (75 s) outlasts the
    /// 60 s idle timeouts common in load balancers, so a proxy closes an idle keep-alive connection before
    /// the server does and never sends a request into a closing socket. It also bounds a write the peer
    /// does not read.
    public var idleTimeout: Duration
    /// The whole head must arrive within this from its first byte, however it trickles; else 408 and a close.
    public var headerTimeout: Duration
    /// The whole body must arrive within this from the end of the head; else 408 and a close.
    public var bodyTimeout: Duration

    public init(
        maxBodyBytes: Int, maxHeaderBytes: Int, idleTimeout: Duration, headerTimeout: Duration,
        bodyTimeout: Duration
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
    }
}
