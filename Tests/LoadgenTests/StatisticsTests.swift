import Testing

@testable import Loadgen

/// The statistical gates' arithmetic, against published values: the normal quantiles in any table, and
/// Wilson's interval for 10 of 100 at 95% (Newcombe 1998, method 3).
@Suite struct StatisticsTests {
    @Test func normalQuantiles() {
        let known: [(Double, Double)] = [
            (0.5, 0), (0.975, 1.959_963_984_540_054), (0.9995, 3.290_526_731_491_926),
            (0.999_995, 4.417_173_413_469_022), (0.001, -3.090_232_306_167_814), (1e-10, -6.361_340_902_404_056),
        ]
        for (probability, z) in known {
            #expect(abs(NormalDistribution.quantile(probability) - z) < 1e-9, "\(probability)")
        }
    }

    @Test func confidenceSharesItsErrorAmongSimultaneousIntervals() {
        #expect(abs(ConfidenceLevel(percent: 95).z() - 1.959_963_984_540_054) < 1e-9)
        // 99.9% over two intervals: each at 99.95%, two-sided.
        #expect(abs(ConfidenceLevel.standard.z(simultaneousIntervals: 2) - 3.480_756_404_346_242) < 1e-9)
    }

    @Test func wilsonInterval() {
        let interval = ShareInterval(successes: 10, trials: 100, z: 1.959_963_984_540_054)
        #expect(abs(interval.lower - 0.0552) < 5e-5 && abs(interval.upper - 0.1744) < 5e-5)
        let none = ShareInterval(successes: 0, trials: 20, z: 1.96)
        #expect(none.lower == 0 && none.upper > 0.16)
        let all = ShareInterval(successes: 1000, trials: 1000, z: 4)
        #expect(all.upper == 1, "exact at the end, so that a 100% expectation with no tolerance holds")
    }

    @Test func trialsNeededIsTheFewestThatResolveTheShare() {
        let z = ConfidenceLevel.standard.z()
        let needed = ShareInterval.trialsNeeded(share: 0.5, halfWidth: 0.03, z: z)
        #expect(ShareInterval.halfWidth(share: 0.5, trials: needed, z: z) <= 0.03)
        #expect(ShareInterval.halfWidth(share: 0.5, trials: needed - 1, z: z) > 0.03)
        #expect((2900...3100).contains(needed), "z² p(1-p) / t² is about 3,000")
    }
}

@Suite struct QuantileIntervalTests {
    @Test func samplesNeededForAnUpperBound() {
        #expect(QuantileInterval.samplesNeeded(quantile: 0.99, z: ConfidenceLevel.standard.z()) == 1265)
        #expect(
            QuantileInterval.samplesNeeded(quantile: 0.99, z: ConfidenceLevel.standard.z(simultaneousIntervals: 2))
                == 1393)
    }

    @Test func bracketsTheQuantileOfAKnownSample() {
        var histogram = Tally.makeHistogram()
        for micros in 1...10_000 { _ = histogram.record(UInt64(micros)) }
        let z = ConfidenceLevel.standard.z()
        let interval = QuantileInterval(histogram, quantile: 0.99, z: z)!
        // The sample's p99 is 9.9 ms; 10,000 samples put the bounding ranks 33 either side.
        #expect(interval.lower < 9.9 && 9.9 < interval.upper)
        #expect(interval.lower > 9.85 && interval.upper < 9.95)
        var small = Tally.makeHistogram()
        for micros in 1...1000 { _ = small.record(UInt64(micros)) }
        #expect(QuantileInterval(small, quantile: 0.99, z: z) == nil, "too few to bound a p99 from above")
    }
}
