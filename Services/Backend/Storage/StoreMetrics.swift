import Prometheus
import SkalarRuntime

/// `db_query_duration_seconds{operation}` and the entry-count gauge.
struct StoreMetrics: Sendable {
    enum Operation: String, CaseIterable {
        case insert, delete
        case selectOne = "select_one"
        case selectPage = "select_page"
        case idempotencyLookup = "idempotency_lookup"
        case commit, migrate
        case readinessCheck = "readiness_check"
    }

    private let histograms: [Operation: ValueHistogram]
    let entries: Gauge

    init(_ metrics: ServiceMetrics) {
        var histograms: [Operation: ValueHistogram] = [:]
        for operation in Operation.allCases {
            histograms[operation] = metrics.makeDurationHistogram(
                name: "db_query_duration_seconds", labels: [("operation", operation.rawValue)],
                help: "Duration of database operations; commit is a whole transaction including its fsync.")
        }
        self.histograms = histograms
        entries = metrics.registry.makeGauge(
            descriptor: ServiceMetrics.descriptor("guestbook_entries", help: "Entries in the guestbook."))
    }

    func duration(of operation: Operation, seconds: Double) {
        histograms[operation]!.record(seconds)
    }

    /// Runs `body` and records its duration under `operation`.
    @discardableResult
    func timed<Result>(_ operation: Operation, _ body: () throws -> Result) rethrows -> Result {
        let start = MonotonicClock.nanoseconds()
        defer { duration(of: operation, seconds: MonotonicClock.secondsSince(start)) }
        return try body()
    }
}
