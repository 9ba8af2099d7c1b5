/// How a request's body is delimited on the connection (RFC 9112 §6.3).
package enum BodyFraming: Equatable, Sendable {
    /// No body: neither `Content-Length` nor `Transfer-Encoding` was sent.
    case none
    /// Exactly this many bytes follow the head.
    case length(Int)
    /// `Transfer-Encoding: chunked`: chunks until the last, then trailer fields.
    case chunked
}
