import HTTPTypes
import SkalarRuntime

/// The pass/fail checks that set the exit status.
struct Gates {
    /// Largest share of requests that may fail (transport error or status 400 and above), 0–1. Always
    /// judged: a run whose traffic fails fails, whether or not its user asked.
    var maxErrorRate = Gates.defaultMaxErrorRate
    var maxErrorRateIsDefault = true
    /// Longest 99th-percentile latency the run may have.
    var maxP99: Duration?
    /// Expected percentage per value of `splitHeader`.
    var expectedSplit: [(version: String, percent: Double)] = []
    var splitTolerance: Double = 3
    var splitHeader = HTTPField.Name.appVersion.rawName
    /// Largest amount by which a canary's error rate may exceed its stable version's, per pair.
    var maxErrorRateDelta: [VersionComparison] = []
    /// Largest ratio of a canary's p99 latency to its stable version's, per pair.
    var maxP99Ratio: [VersionComparison] = []
    /// Of the statistical gates: the split and the comparisons.
    var confidence = ConfidenceLevel.standard

    static let defaultMaxErrorRate = 0.01

    /// `v1=90,v2=10`: percentages that must add up to 100.
    static func parseSplit(_ text: String) -> [(version: String, percent: Double)]? {
        var split: [(version: String, percent: Double)] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let percent = Double(parts[1]), (0...100).contains(percent)
            else { return nil }
            split.append((parts[0], percent))
        }
        guard !split.isEmpty, abs(split.map(\.percent).reduce(0, +) - 100) < 0.001 else { return nil }
        return split
    }
}
