import Histogram

/// What one event loop observed: latencies, statuses, errors and version tallies. Each loop records into
/// its own, under a lock that only the once-a-second progress line ever contends.
struct Tally {
    /// Microseconds from the intended send time to the complete response.
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: Tally.highestMicros, numberOfSignificantValueDigits: .three)
    var statuses: [Int: Int] = [:]
    /// Failures without a response, by kind: connect, reset, timeout, invalid_response.
    var errors: [String: Int] = [:]
    /// Per header (`X-App-Version`, `X-Backend-Version`): responses per value.
    var versions: [String: [String: Int]] = [:]

    static let highestMicros: UInt64 = 3_600_000_000

    var responses: Int { statuses.values.reduce(0, +) }
    var failures: Int { errors.values.reduce(0, +) }
    var completed: Int { responses + failures }

    mutating func record(status: Int, latencyMicros: UInt64, versions: [(header: String, value: String)]) {
        _ = latency.record(min(latencyMicros, Tally.highestMicros))
        statuses[status, default: 0] += 1
        for version in versions { self.versions[version.header, default: [:]][version.value, default: 0] += 1 }
    }

    mutating func add(_ other: Tally) {
        latency.add(other.latency)
        statuses.merge(other.statuses, uniquingKeysWith: +)
        errors.merge(other.errors, uniquingKeysWith: +)
        for (header, counts) in other.versions { versions[header, default: [:]].merge(counts, uniquingKeysWith: +) }
    }
}
