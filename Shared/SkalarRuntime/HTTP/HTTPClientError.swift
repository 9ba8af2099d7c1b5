/// Why an outgoing HTTP call failed without a response.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be made (refused, unreachable).
    case connectFailed
    /// The connection closed or reset before a complete response arrived.
    case connectionClosed
    /// No complete response within the call's timeout.
    case timeout
    /// The peer's response was not valid HTTP, had a status that cannot end a call (a 1xx, or outside
    /// 100–599), or was larger than the client accepts. Its connection is never reused.
    case invalidResponse
    /// Every pooled connection of this loop stayed busy until the deadline (or a new one could not be made).
    case poolExhausted

    /// Whether the request can be known not to have been acted on, or the connection failed in a way a
    /// fresh connection may not: the failures the client's one retry is for.
    var isConnectionLevel: Bool { self == .connectFailed || self == .connectionClosed }

    /// The `error_type` label of the client error metric.
    public var kind: String {
        switch self {
        case .connectFailed: return "connect"
        case .connectionClosed: return "reset"
        case .timeout: return "timeout"
        case .invalidResponse: return "invalid_response"
        case .poolExhausted: return "pool_exhausted"
        }
    }

    public var description: String { kind }
}
