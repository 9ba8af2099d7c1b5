import Histogram

/// A confidence interval for one quantile of a latency sample, free of any assumption about its
/// distribution: the rank of the sample's value below the true quantile is binomial, so two ranks
/// bracket the quantile at the wanted confidence. Read from the histogram at three significant digits.
struct QuantileInterval {
    /// Milliseconds.
    let lower: Double
    let upper: Double

    /// Nil when the sample is too small to bound the quantile from above (see `samplesNeeded`).
    init?(_ histogram: Histogram<UInt64>, quantile: Double, z: Double) {
        let count = Int(histogram.totalCount)
        guard let ranks = Self.ranks(count: count, quantile: quantile, z: z) else { return nil }
        func value(atRank rank: Int) -> Double {
            Double(histogram.valueAtPercentile(100 * Double(rank) / Double(count))) / 1000
        }
        lower = value(atRank: ranks.lower)
        upper = value(atRank: ranks.upper)
    }

    /// The fewest samples with an upper bound for `quantile`: for p99 at z = 3.29 (99.9%), 1,265; at
    /// z = 3.48 (two intervals that hold together at 99.9%, as the ratio gate's), 1,393.
    static func samplesNeeded(quantile: Double, z: Double) -> Int {
        var count = 1
        while ranks(count: count, quantile: quantile, z: z) == nil { count += 1 }
        return count
    }

    /// 1-based ranks of the bounds, by the normal approximation to the binomial; nil when the upper one
    /// lies beyond the sample.
    private static func ranks(count: Int, quantile: Double, z: Double) -> (lower: Int, upper: Int)? {
        let expected = Double(count) * quantile
        let spread = z * (expected * (1 - quantile)).squareRoot()
        let lower = max(1, Int((expected - spread).rounded(.down)))
        let upper = Int((expected + spread).rounded(.up)) + 1
        return count > 0 && upper <= count ? (lower, upper) : nil
    }
}
