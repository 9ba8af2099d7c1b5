import HTTPTypes

/// The header names the project's contract fixes, in one place for both services and the load generator.
extension HTTPField.Name {
    /// The service's version, on every response.
    public static let appVersion = HTTPField.Name("X-App-Version")!
    /// The request id, taken from the request or made for it, on every response and every backend call.
    public static let requestID = HTTPField.Name("X-Request-Id")!
    /// The backend's `X-App-Version`, on every frontend response that needed the backend.
    public static let backendVersion = HTTPField.Name("X-Backend-Version")!
    /// Makes a POST safe to repeat: the backend answers a repeat with the first response.
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// Marks the backend's answer to a repeated `Idempotency-Key` (and the frontend's relay of it).
    public static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    /// HTTP/1.1's `Host`; swift-http-types models it as the request's authority instead.
    public static let host = HTTPField.Name("Host")!

    /// The trace headers (W3C Trace Context, B3, OpenTracing, baggage) a service copies from the request it
    /// serves onto the calls it makes, so that Istio's Envoys join both hops into one trace.
    public static let propagatedTraceHeaders: [HTTPField.Name] = [
        "x-request-id", "traceparent", "tracestate", "baggage", "x-b3-traceid", "x-b3-spanid",
        "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3", "x-ot-span-context",
    ].map { HTTPField.Name($0)! }
}
