/// A confidence interval for the share of trials with some outcome: Wilson's score interval, which
/// keeps its coverage near shares of 0 and 1 and on small samples, where the normal approximation's
/// "share ± z·σ" does not.
struct ShareInterval {
    /// Bounds as shares, 0–1.
    let lower: Double
    let upper: Double

    init(successes: Int, trials: Int, z: Double) {
        precondition(trials > 0 && (0...trials).contains(successes), "an interval needs trials")
        let share = Double(successes) / Double(trials)
        let (center, half) = Self.centerAndHalfWidth(share: share, trials: Double(trials), z: z)
        // Exact at the ends, where rounding must not move a bound that an exact expectation meets.
        lower = successes == 0 ? 0 : max(0, center - half)
        upper = successes == trials ? 1 : min(1, center + half)
    }

    /// Half the width of the interval that `trials` trials give when the share is `share`: how finely a
    /// run of that size measures it.
    static func halfWidth(share: Double, trials: Int, z: Double) -> Double {
        centerAndHalfWidth(share: share, trials: Double(trials), z: z).half
    }

    /// The fewest trials whose interval around `share` is at most `halfWidth` either side.
    static func trialsNeeded(share: Double, halfWidth target: Double, z: Double) -> Int {
        precondition(target > 0, "a run of any size has an interval")
        var (low, high) = (1, 1)
        while halfWidth(share: share, trials: high, z: z) > target { (low, high) = (high, high * 2) }
        while low < high {
            let middle = (low + high) / 2
            if halfWidth(share: share, trials: middle, z: z) > target { low = middle + 1 } else { high = middle }
        }
        return high
    }

    private static func centerAndHalfWidth(share: Double, trials: Double, z: Double) -> (center: Double, half: Double) {
        let z2 = z * z
        let denominator = 1 + z2 / trials
        let center = (share + z2 / (2 * trials)) / denominator
        let half = z * (share * (1 - share) / trials + z2 / (4 * trials * trials)).squareRoot() / denominator
        return (center, half)
    }
}
