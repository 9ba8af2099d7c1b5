/// `--expect-split`: whether each value of the split header answered its expected share, within the
/// tolerance, at the run's confidence.
///
/// Each share gets a Wilson interval; together they hold at the confidence level (Bonferroni over the
/// values, except that two shares are one measurement, each the other's complement). The gate fails
/// when some interval lies wholly outside expected ± tolerance: the share is then outside it beyond
/// chance. It passes when every interval touches its band, but only if the run is large enough: at the
/// expected shares, its intervals must be no wider than the tolerance either side. A smaller run could
/// not tell a share outside the band from one inside, so the gate is inconclusive and names the number
/// of responses it would need. A tolerance of 0 is exact and allowed only for shares of 0 and 100%:
/// a single response from an unexpected version then fails it.
struct SplitGate {
    let expected: [(version: String, percent: Double)]
    /// Percentage points either side of each expected share.
    let tolerance: Double
    let header: String
    let confidence: ConfidenceLevel

    func verdict(counts: [String: Int]) -> Verdict {
        let expectedNames = Set(expected.map(\.version))
        let versions =
            expected + counts.keys.sorted().filter { !expectedNames.contains($0) }.map { (version: $0, percent: 0.0) }
        let z = confidence.z(simultaneousIntervals: versions.count == 2 ? 1 : versions.count)
        let responses = counts.values.reduce(0, +)
        let band = "±\(Report.points(tolerance)) at \(confidence) confidence"
        let resolution = { (percent: Double) -> Double in
            tolerance == 0 ? 0 : ShareInterval.halfWidth(share: percent / 100, trials: responses, z: z) * 100
        }
        let needed = {
            versions.map { ShareInterval.trialsNeeded(share: $0.percent / 100, halfWidth: tolerance / 100, z: z) }
                .max() ?? 1
        }
        guard responses > 0 else {
            return Verdict(
                gate: "expect-split", outcome: .inconclusive,
                detail: "no response carried \(header), so the split cannot be judged; "
                    + (tolerance == 0 ? "any response would do" : "about \(needed()) are needed for \(band)"))
        }

        var outside: [String] = []
        var parts: [String] = []
        for (version, percent) in versions {
            let interval = ShareInterval(successes: counts[version] ?? 0, trials: responses, z: z)
            let (lower, upper) = (interval.lower * 100, interval.upper * 100)
            if lower > percent + tolerance || upper < percent - tolerance { outside.append(version) }
            let seen = Double(counts[version] ?? 0) * 100 / Double(responses)
            parts.append(
                "\(version) \(Report.number(seen))% [\(Report.number(lower))–\(Report.number(upper))], "
                    + "expected \(Report.number(percent))%")
        }
        let observed = "\(header) over \(responses) responses: \(parts.joined(separator: "; "))"
        if !outside.isEmpty {
            return Verdict(
                gate: "expect-split", outcome: .fail,
                detail: "\(outside.joined(separator: ", ")) outside the expected share \(band); \(observed)")
        }
        if let coarsest = versions.max(by: { resolution($0.percent) < resolution($1.percent) }),
            resolution(coarsest.percent) > tolerance
        {
            return Verdict(
                gate: "expect-split", outcome: .inconclusive,
                detail: "too few responses for \(band): \(responses) measure \(coarsest.version)'s share to "
                    + "±\(Report.points(resolution(coarsest.percent))); about \(needed()) are needed; "
                    + observed)
        }
        return Verdict(gate: "expect-split", outcome: .pass, detail: "within \(band); \(observed)")
    }
}
