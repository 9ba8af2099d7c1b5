/// The confidence at which the statistical gates judge a run (`--confidence`, default 99.9%): a gate
/// that fails because of chance alone does so in at most 1 − confidence of runs.
struct ConfidenceLevel: CustomStringConvertible {
    /// Percent, above 50 and below 100.
    let percent: Double

    static let standard = ConfidenceLevel(percent: 99.9)

    /// The z of `count` two-sided intervals that all hold at once at this level (Bonferroni's bound).
    func z(simultaneousIntervals count: Int = 1) -> Double {
        let alpha = (100 - percent) / 100
        return NormalDistribution.quantile(1 - alpha / (2 * Double(max(1, count))))
    }

    var description: String { "\(Report.number(percent))%" }
}
