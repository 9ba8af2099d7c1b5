import HTTPTypes
import SkalarRuntime

/// The pass/fail checks that set the exit status.
struct Gates {
    /// Largest share of requests that may fail (transport error or status 400 and above), 0–1.
    var maxErrorRate: Double?
    /// Longest 99th-percentile latency the run may have.
    var maxP99: Duration?
    /// Expected percentage per value of `splitHeader`.
    var expectedSplit: [(version: String, percent: Double)] = []
    var splitTolerance: Double = 3
    var splitHeader = HTTPField.Name.appVersion.rawName

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
