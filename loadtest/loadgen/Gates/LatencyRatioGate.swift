import Glibc

/// `--max-p99-ratio CANARY/STABLE=R`: fails when the canary's p99 latency exceeds R times the stable
/// version's beyond chance.
///
/// Each version's p99 gets a distribution-free interval (`QuantileInterval`); the two hold together at
/// the run's confidence, so the ratio lies between canary.lower/stable.upper and
/// canary.upper/stable.lower. The gate fails when that lower bound is above R, passes when the interval
/// reaches R or below, and is inconclusive when either version has too few samples to bound its p99,
/// or when the interval spans more than R either side of its middle (by ratio), so that the run could
/// not tell a canary R times slower from an equal one.
struct LatencyRatioGate {
    let comparison: VersionComparison
    let confidence: ConfidenceLevel
    static let quantile = 0.99

    func verdict(_ versions: [String: VersionTally]) -> Verdict {
        let gate = "max-p99-ratio \(comparison.pair)"
        let limit = "limit \(Report.number(comparison.limit))× at \(confidence) confidence"
        guard let (canary, stable) = comparison.tallies(in: versions) else {
            return comparison.unanswered(gate: gate, limit: limit, versions)
        }
        let z = confidence.z(simultaneousIntervals: 2)
        guard let c = QuantileInterval(canary.latency, quantile: Self.quantile, z: z),
            let s = QuantileInterval(stable.latency, quantile: Self.quantile, z: z), s.lower > 0
        else {
            let needed = QuantileInterval.samplesNeeded(quantile: Self.quantile, z: z)
            return Verdict(
                gate: gate, outcome: .inconclusive,
                detail: "too few responses to bound the p99: \(comparison.canary) \(canary.responses), "
                    + "\(comparison.stable) \(stable.responses), each needs \(needed); \(limit)")
        }
        let (lower, upper) = (c.lower / s.upper, c.upper / s.lower)
        let p99 = { (tally: VersionTally) in Double(tally.latency.valueAtPercentile(99)) / 1000 }
        let observed =
            "p99 \(comparison.canary) \(Report.number(p99(canary))) ms [\(Report.number(c.lower))–"
            + "\(Report.number(c.upper))], \(comparison.stable) \(Report.number(p99(stable))) ms "
            + "[\(Report.number(s.lower))–\(Report.number(s.upper))]: ratio between \(Report.number(lower)) "
            + "and \(Report.number(upper)); \(limit)"
        if lower > comparison.limit {
            return Verdict(gate: gate, outcome: .fail, detail: "\(comparison.canary) is slower; " + observed)
        }
        if log(upper / lower) / 2 > log(comparison.limit) {
            return Verdict(
                gate: gate, outcome: .inconclusive,
                detail: "too few responses to tell a ratio of \(Report.number(comparison.limit)) from 1; " + observed)
        }
        return Verdict(gate: gate, outcome: .pass, detail: observed)
    }
}
