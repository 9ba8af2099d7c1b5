import HTTPTypes

/// An HTTP/1.x request line and header section that passed `RequestHeadParser`'s framing rules.
package struct RequestHead: Sendable {
    package var method: HTTPRequest.Method
    /// The path as sent, still percent-encoded; `*` for `OPTIONS *`, the authority for `CONNECT`.
    package var path: String
    /// The query without its `?`, still percent-encoded.
    package var query: String
    /// The minor version of HTTP/1.x as sent; a server answers every one of them in HTTP/1.1.
    package var minorVersion: Int
    package var headers: HTTPFields
    package var framing: BodyFraming
    /// Whether the client lets the connection stay open after the response (RFC 9112 §9.3).
    package var keepAlive: Bool
    /// `Expect: 100-continue`: the client waits for an interim 100 before it sends the body.
    package var expectsContinue: Bool
}
