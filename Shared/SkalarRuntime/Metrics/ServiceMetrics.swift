import CoreMetrics
import HTTPTypes
import Prometheus

/// The process's Prometheus registry and the metrics the contract names.
///
/// Request durations go to `http_server_request_duration_seconds`, labelled the OpenTelemetry way. Each
/// listener and each HTTP client keeps handles for its own loop (`ServerRequestMetrics`,
/// `ClientRequestMetrics`), so recording costs one dictionary lookup on the loop's own thread plus
/// swift-prometheus's per-histogram lock, never a registry-wide lock.
public final class ServiceMetrics: Sendable {
    /// OpenTelemetry's advised boundaries for HTTP durations, in seconds.
    public static let durationBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]

    public let registry: PrometheusCollectorRegistry
    let activeRequests: Prometheus.Gauge
    private let processMetrics = ProcessMetrics()

    public init(service: String, version: String, revision: String) {
        registry = PrometheusCollectorRegistry()
        activeRequests = registry.makeGauge(
            descriptor: Self.descriptor("http_server_active_requests", help: "HTTP requests being handled right now."))
        registry.makeGauge(
            descriptor: Self.descriptor("app_build_info", help: "Build of the running service; the value is always 1."),
            labels: [("service", service), ("version", version), ("revision", revision)]
        ).set(1.0)
    }

    /// Routes swift-metrics' global API (used by libraries) into this registry. Call once per process.
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// A histogram in seconds with the duration buckets above.
    public func makeDurationHistogram(name: String, labels: [(String, String)], help: String) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: Self.descriptor(name, help: help), labels: labels, buckets: Self.durationBuckets)
    }

    /// A metric name given whole (the contract fixes full names) with its help text.
    public static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Counts a failed `accept` by its errno name, in `http_server_accept_errors_total{error}`.
    func acceptErrors(_ error: String) -> Prometheus.Counter {
        registry.makeCounter(
            descriptor: Self.descriptor(
                "http_server_accept_errors_total", help: "Failed accepts of new connections, by errno."),
            labels: [("error", error)])
    }

    /// The whole exposition in Prometheus text format 0.0.4.
    public func exposition() -> [UInt8] {
        var buffer = registry.emitToBuffer()
        processMetrics.emit(into: &buffer)
        return buffer
    }
}
