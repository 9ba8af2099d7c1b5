import Prometheus
import SkalarRuntime

/// `db_query_duration_seconds{operation}`, `db_write_errors_total{reason}` and the entry-count gauge.
struct StoreMetrics: Sendable {
    enum Operation: String, CaseIterable {
        case insert, delete
        case selectOne = "select_one"
        case selectPage = "select_page"
        case idempotencyLookup = "idempotency_lookup"
        case commit, migrate
        case readinessCheck = "readiness_check"
    }

    /// The reasons a write fails with, besides a bug's `other`.
    static let writeErrorReasons = StoreError.allCases.map(\.reason) + ["other"]

    private let histograms: [Operation: ValueHistogram]
    private let writeErrors: [String: Prometheus.Counter]
    let entries: Gauge

    init(_ metrics: ServiceMetrics) {
        var histograms: [Operation: ValueHistogram] = [:]
        for operation in Operation.allCases {
            histograms[operation] = metrics.makeDurationHistogram(
                name: "db_query_duration_seconds", labels: [("operation", operation.rawValue)],
                help: "Duration of database operations; commit is a whole transaction including its fsync.")
        }
        self.histograms = histograms
        var writeErrors: [String: Prometheus.Counter] = [:]
        for reason in Self.writeErrorReasons {
            writeErrors[reason] = metrics.registry.makeCounter(
                descriptor: ServiceMetrics.descriptor(
                    "db_write_errors_total",
                    help: "Writes that failed: storage_full while the file system has no room, file_lost after "
                        + "the database file was deleted or replaced, unavailable before it opened or while "
                        + "PostgreSQL cannot be reached, timeout past PostgreSQL's query deadline."),
                labels: [("reason", reason)])
        }
        self.writeErrors = writeErrors
        entries = metrics.registry.makeGauge(
            descriptor: ServiceMetrics.descriptor("guestbook_entries", help: "Entries in the guestbook."))
    }

    /// Counts a failed write under its reason.
    func countWriteError(_ error: any Error) {
        writeErrors[(error as? StoreError)?.reason ?? "other"]!.increment()
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

    /// Runs `body` and records its duration under `operation`, whether it succeeds or fails.
    func timed<Result>(_ operation: Operation, _ body: () async throws -> Result) async rethrows -> Result {
        let start = MonotonicClock.nanoseconds()
        defer { duration(of: operation, seconds: MonotonicClock.secondsSince(start)) }
        return try await body()
    }
}
