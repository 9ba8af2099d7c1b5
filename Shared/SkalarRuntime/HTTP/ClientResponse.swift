import HTTPTypes

/// A complete response to an outgoing call.
public struct ClientResponse: Sendable {
    public let status: Int
    public let headers: HTTPFields
    public let body: [UInt8]
}
