import HTTPTypes

/// An HTTP request as a handler sees it: head, whole body, and what routing found.
public struct Request: Sendable {
    public let method: HTTPRequest.Method
    /// The path as sent, still percent-encoded, without the query.
    public let path: String
    /// The raw query string without the leading `?`; empty when there is none.
    public let query: String
    public let headers: HTTPFields
    public let body: [UInt8]
    /// The `X-Request-Id` this request carries: the client's, or one made for it.
    public let id: String
    /// Path parameters captured by the route pattern, percent-decoded.
    public internal(set) var parameters: [String: String] = [:]
    /// The route pattern that matched (`/api/v1/entries/{id}`), or nil before routing or when none did.
    public internal(set) var route: String?

    public init(
        method: HTTPRequest.Method, path: String, query: String = "", headers: HTTPFields = [:],
        body: [UInt8] = [], id: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.id = id
    }

    /// The first value of a query parameter, percent-decoded (`+` as space). A query string that does not
    /// decode, or has more than `URLEncodedForm.maximumFields` fields, is a 400 `invalid_query` whichever
    /// parameter is asked for, so `limit=%ff` is refused like `limit=abc` instead of being ignored.
    public func queryItem(_ name: String) throws(HTTPError) -> String? {
        let fields: [(name: String, value: String)]
        do {
            fields = try URLEncodedForm.fields(Substring(query))
        } catch {
            throw HTTPError.badRequest("the query string \(error)", code: "invalid_query")
        }
        return fields.first { $0.name == name }?.value
    }
}
