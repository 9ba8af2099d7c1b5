import Histogram

/// What one event loop observed: latencies, statuses, errors and version tallies. Each loop records into
/// its own, under a lock that only the once-a-second progress line ever contends.
struct Tally {
    /// Microseconds from the intended send time to the complete response.
    var latency = Tally.makeHistogram()
    var statuses: [Int: Int] = [:]
    /// Failures without a response, by kind: connect, reset, timeout, invalid_response.
    var errors: [String: Int] = [:]
    /// Per header (`X-App-Version`, `X-Backend-Version`): responses per value.
    var versions: [String: [String: Int]] = [:]
    /// Per value of the split header: its own counts and latency.
    var byVersion: [String: VersionTally] = [:]

    static let highestMicros: UInt64 = 3_600_000_000
    /// Distinct values tallied per header; responses with further values count under `otherValues`,
    /// so that a header with a value per request cannot grow the tally without bound.
    static let maxValuesPerHeader = 32
    static let otherValues = "(other)"

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram(
            lowestDiscernibleValue: 1, highestTrackableValue: highestMicros, numberOfSignificantValueDigits: .three)
    }

    var responses: Int { statuses.values.reduce(0, +) }
    var failures: Int { errors.values.reduce(0, +) }
    var completed: Int { responses + failures }

    /// `splitValue`: the split header's value, when the response carried it.
    mutating func record(
        status: Int, latencyMicros: UInt64, versions: [(header: String, value: String)], splitValue: String?
    ) {
        let micros = min(latencyMicros, Tally.highestMicros)
        _ = latency.record(micros)
        statuses[status, default: 0] += 1
        for version in versions {
            let value = Self.bounded(version.value, among: self.versions[version.header] ?? [:])
            self.versions[version.header, default: [:]][value, default: 0] += 1
        }
        if let splitValue {
            let key = Self.bounded(splitValue, among: byVersion)
            byVersion[key, default: VersionTally()].record(status: status, latencyMicros: micros)
        }
    }

    mutating func add(_ other: Tally) {
        latency.add(other.latency)
        statuses.merge(other.statuses, uniquingKeysWith: +)
        errors.merge(other.errors, uniquingKeysWith: +)
        for (header, counts) in other.versions {
            for (value, count) in counts {
                let key = Self.bounded(value, among: versions[header] ?? [:])
                versions[header, default: [:]][key, default: 0] += count
            }
        }
        for (value, version) in other.byVersion {
            let key = Self.bounded(value, among: byVersion)
            byVersion[key, default: VersionTally()].add(version)
        }
    }

    /// `value`, or `otherValues` once `tallied` holds as many values as allowed and not this one. Callers
    /// take the key in a statement of its own: passing the dictionary inside its own mutating access
    /// would keep a second reference alive and copy it, histograms and all, on every request.
    private static func bounded<Count>(_ value: String, among tallied: [String: Count]) -> String {
        tallied[value] != nil || tallied.count < maxValuesPerHeader - 1 ? value : otherValues
    }
}
