/// `--max-error-rate-delta CANARY/STABLE=D`: fails when the canary's error rate exceeds the stable
/// version's by more than D beyond chance.
///
/// The difference of the two rates gets Newcombe's hybrid score interval (from each rate's Wilson
/// interval), at the run's confidence. The gate fails when its lower bound is above D, passes when
/// the interval reaches D or below, and is inconclusive when the interval is wider than D either side,
/// so that the run could not tell a canary D worse from an equal one.
struct ErrorRateDeltaGate {
    let comparison: VersionComparison
    let confidence: ConfidenceLevel

    func verdict(_ versions: [String: VersionTally]) -> Verdict {
        let gate = "max-error-rate-delta \(comparison.pair)"
        let limit = "limit +\(Report.points(comparison.limit * 100)) at \(confidence) confidence"
        guard let (canary, stable) = comparison.tallies(in: versions) else {
            return comparison.unanswered(gate: gate, limit: limit, versions)
        }
        let z = confidence.z()
        let (c, s) = (canary.errorRate, stable.errorRate)
        let ci = ShareInterval(successes: canary.failures, trials: canary.responses, z: z)
        let si = ShareInterval(successes: stable.failures, trials: stable.responses, z: z)
        let difference = c - s
        let lower = difference - ((c - ci.lower) * (c - ci.lower) + (si.upper - s) * (si.upper - s)).squareRoot()
        let upper = difference + ((ci.upper - c) * (ci.upper - c) + (s - si.lower) * (s - si.lower)).squareRoot()
        let observed =
            "\(comparison.canary) \(Self.percent(c))% failed of \(canary.responses), \(comparison.stable) "
            + "\(Self.percent(s))% of \(stable.responses): difference \(Self.signed(difference)) points "
            + "[\(Self.signed(lower)), \(Self.signed(upper))]; \(limit)"
        if lower > comparison.limit {
            return Verdict(gate: gate, outcome: .fail, detail: "\(comparison.canary) fails more; " + observed)
        }
        if (upper - lower) / 2 > comparison.limit {
            return Verdict(
                gate: gate, outcome: .inconclusive,
                detail: "too few responses to tell a difference of \(Report.points(comparison.limit * 100)) "
                    + "from none; " + observed)
        }
        return Verdict(gate: gate, outcome: .pass, detail: observed)
    }

    private static func percent(_ share: Double) -> String { Report.number(share * 100) }
    private static func signed(_ share: Double) -> String { (share >= 0 ? "+" : "") + percent(share) }
}
