/// One second of a run, as the HTML report draws it over time.
struct TimelinePoint {
    /// Seconds since the load started, at the end of this second.
    let elapsed: Double
    /// Requests completed in this second.
    let completed: Int
    /// Of them, those that failed (transport errors and statuses of 400 and above).
    let failed: Int
    /// Milliseconds, of this second's requests; 0 when none completed.
    let p50: Double
    let p99: Double
    /// This second's responses per value of the split header.
    let versions: [String: Int]

    init(elapsed: Double, interval: Tally, splitHeader: String) {
        self.elapsed = elapsed
        completed = interval.completed
        failed = interval.failures + interval.statuses.filter { $0.key >= 400 }.values.reduce(0, +)
        p50 = Report.percentile(interval.latency, 50)
        p99 = Report.percentile(interval.latency, 99)
        versions = interval.versions[splitHeader] ?? [:]
    }
}
