import HTTPTypes

/// Copies the trace context of the request being served onto a call it makes.
public enum TracePropagation {
    /// `headers` plus the trace headers of `incoming`, and its request id as `x-request-id`.
    public static func headers(_ headers: HTTPFields, propagatingFrom incoming: Request) -> HTTPFields {
        var result = headers
        for name in HTTPField.Name.propagatedTraceHeaders where result[name] == nil {
            if let value = incoming.headers[name] { result[name] = value }
        }
        result[.requestID] = incoming.id
        return result
    }
}
