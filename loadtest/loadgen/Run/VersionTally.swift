import Histogram

/// What one value of the split header answered: its responses, how many of them failed (status 400 and
/// above), and their latency in a histogram of its own, so that versions compare by their own tails.
struct VersionTally {
    var latency = Tally.makeHistogram()
    var responses = 0
    var failures = 0

    var errorRate: Double { responses == 0 ? 0 : Double(failures) / Double(responses) }

    mutating func record(status: Int, latencyMicros: UInt64) {
        _ = latency.record(latencyMicros)
        responses += 1
        if status >= 400 { failures += 1 }
    }

    mutating func add(_ other: VersionTally) {
        latency.add(other.latency)
        responses += other.responses
        failures += other.failures
    }
}
