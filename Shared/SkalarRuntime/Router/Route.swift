import HTTPTypes

/// Answers one request. Handlers run on the event loop that owns the connection and may await freely.
public typealias Handler = @Sendable (Request) async throws -> Response

/// A method and path pattern bound to a handler.
public struct Route: Sendable {
    public let method: HTTPRequest.Method
    /// The pattern as registered, such as `/api/v1/entries/{id}`; also the `http_route` metric label.
    public let pattern: String
    /// Operational routes (probes, metrics, version) are exempt from fault injection and log at debug level.
    public let isOperational: Bool
    let handler: Handler
}
