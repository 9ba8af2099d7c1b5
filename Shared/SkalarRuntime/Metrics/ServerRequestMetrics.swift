import HTTPTypes
import Prometheus

/// One loop's handles on `http_server_request_duration_seconds`, by label set, so that recording a request
/// skips the registry's lock and label formatting. Loop-local: the listener of that loop owns it.
package final class ServerRequestMetrics {
    private struct Labels: Hashable {
        let method: HTTPRequest.Method
        let route: String
        let status: Int
    }

    private let metrics: ServiceMetrics
    private var histograms: [Labels: ValueHistogram] = [:]

    init(metrics: ServiceMetrics) {
        self.metrics = metrics
    }

    func duration(method: HTTPRequest.Method, route: String, status: Int) -> ValueHistogram {
        let labels = Labels(method: method, route: route, status: status)
        if let cached = histograms[labels] { return cached }
        let histogram = metrics.makeDurationHistogram(
            name: "http_server_request_duration_seconds",
            labels: [
                ("http_request_method", method.rawValue), ("http_route", route),
                ("http_response_status_code", String(status)),
            ],
            help: "Duration of HTTP server requests.")
        histograms[labels] = histogram
        return histogram
    }
}
