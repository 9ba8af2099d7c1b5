import HTTPTypes

/// Why an outgoing HTTP call failed without a response.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be made or broke before a response arrived.
    case connectionFailed
    /// No complete response within the call's timeout.
    case timeout
    /// The peer's response was not valid HTTP, or larger than the client accepts.
    case invalidResponse
    /// Every pooled connection of this loop stayed busy until the deadline (or a new one could not be made).
    case poolExhausted

    /// The `error_type` label of the client error metric.
    public var kind: String {
        switch self {
        case .connectionFailed: return "connection_failed"
        case .timeout: return "timeout"
        case .invalidResponse: return "invalid_response"
        case .poolExhausted: return "pool_exhausted"
        }
    }

    public var description: String { kind }
}

/// A complete response to an outgoing call.
public struct ClientResponse: Sendable {
    public let status: Int
    public let headers: HTTPFields
    public let body: [UInt8]
}
