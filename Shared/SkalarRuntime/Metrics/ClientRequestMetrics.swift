import HTTPTypes
import Prometheus

/// One loop's handles on the HTTP client's metrics, by label set, so that recording a call skips the
/// registry's lock and label formatting. Loop-local: the client's state on that loop owns it.
final class ClientRequestMetrics {
    private struct DurationLabels: Hashable {
        let method: HTTPRequest.Method
        let status: Int
    }

    private struct ErrorLabels: Hashable {
        let method: HTTPRequest.Method
        let kind: String
    }

    private let metrics: ServiceMetrics
    private var durations: [DurationLabels: ValueHistogram] = [:]
    private var errors: [ErrorLabels: Prometheus.Counter] = [:]

    init(metrics: ServiceMetrics) {
        self.metrics = metrics
    }

    func duration(method: HTTPRequest.Method, status: Int) -> ValueHistogram {
        let labels = DurationLabels(method: method, status: status)
        if let cached = durations[labels] { return cached }
        let histogram = metrics.makeDurationHistogram(
            name: "http_client_request_duration_seconds",
            labels: [("http_request_method", method.rawValue), ("http_response_status_code", String(status))],
            help: "Duration of HTTP client requests that got a response.")
        durations[labels] = histogram
        return histogram
    }

    func errors(method: HTTPRequest.Method, kind: String) -> Prometheus.Counter {
        let labels = ErrorLabels(method: method, kind: kind)
        if let cached = errors[labels] { return cached }
        let counter = metrics.registry.makeCounter(
            descriptor: ServiceMetrics.descriptor(
                "http_client_request_errors_total", help: "HTTP client requests that ended without a response."),
            labels: [("http_request_method", method.rawValue), ("error_type", kind)])
        errors[labels] = counter
        return counter
    }
}
