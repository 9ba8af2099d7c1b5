import HTTPTypes

/// The headers a service copies from the request it serves onto the calls it makes, so that Istio's
/// Envoys (B3, W3C Trace Context, OpenTracing) join both hops into one trace.
public enum TracePropagation {
    public static let headerNames: [HTTPField.Name] = [
        "x-request-id", "traceparent", "tracestate", "baggage", "x-b3-traceid", "x-b3-spanid",
        "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3", "x-ot-span-context",
    ].map { HTTPField.Name($0)! }

    /// `headers` plus the trace headers of `incoming`, and its request id as `x-request-id`.
    public static func headers(_ headers: HTTPFields, propagatingFrom incoming: Request) -> HTTPFields {
        var result = headers
        for name in headerNames where result[name] == nil {
            if let value = incoming.headers[name] { result[name] = value }
        }
        result[.requestID] = incoming.id
        return result
    }
}
