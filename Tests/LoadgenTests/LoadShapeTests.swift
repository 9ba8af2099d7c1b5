import Testing

@testable import Loadgen

@Suite struct LoadShapeTests {
    @Test func parsesEveryShape() {
        #expect(LoadShape.parse("constant", rate: 50) == .constant(rate: 50))
        #expect(LoadShape.parse("constant:75", rate: nil) == .constant(rate: 75))
        #expect(LoadShape.parse("ramp:10:200:60s", rate: nil) == .ramp(from: 10, to: 200, seconds: 60))
        #expect(LoadShape.parse("steps:50,100,200:20s", rate: nil) == .steps(rates: [50, 100, 200], seconds: 20))
        #expect(LoadShape.parse("spike:100:1000:30s:5s", rate: nil) == .spike(base: 100, peak: 1000, at: 30, length: 5))
        for bad in ["constant", "ramp:10:200", "steps::20s", "steps:5,x:1s", "spike:1:2:3s", "wave:1", "ramp:-1:5:1s"] {
            #expect(LoadShape.parse(bad, rate: nil) == nil, "\(bad)")
        }
    }

    @Test func ratesFollowTheShape() {
        let ramp = LoadShape.ramp(from: 10, to: 110, seconds: 10)
        #expect(ramp.rate(at: 0) == 10)
        #expect(ramp.rate(at: 5) == 60)
        #expect(ramp.rate(at: 30) == 110)
        let steps = LoadShape.steps(rates: [1, 2, 3], seconds: 10)
        #expect([steps.rate(at: 0), steps.rate(at: 15), steps.rate(at: 25), steps.rate(at: 99)] == [1, 2, 3, 3])
        let spike = LoadShape.spike(base: 5, peak: 50, at: 10, length: 2)
        #expect([spike.rate(at: 9.9), spike.rate(at: 10), spike.rate(at: 11.9), spike.rate(at: 12)] == [5, 50, 50, 5])
    }

    @Test func durations() {
        #expect(DurationText.seconds("250ms") == 0.25)
        #expect(DurationText.seconds("30s") == 30)
        #expect(DurationText.seconds("5m") == 300)
        #expect(DurationText.seconds("2") == 2)
        #expect(DurationText.seconds("soon") == nil)
    }

    @Test func pickerKeepsProportionsInEveryWindow() {
        let scenarios = Scenario.parseMix("page=1,list=8,post=1")!
        let picker = ScenarioPicker(scenarios)
        var counts = [0, 0, 0]
        for number in 0..<1000 { counts[picker.scenarioIndex(for: number)] += 1 }
        #expect(counts == [100, 800, 100])
        let firstTen = (0..<10).map { picker.scenarioIndex(for: $0) }
        #expect(firstTen.filter { $0 == 1 }.count == 8)
        #expect(Scenario.parseMix("page=0") == nil)
        #expect(Scenario.parseMix("nope=1") == nil)
    }

    @Test func splitsMustAddUp() {
        #expect(Gates.parseSplit("v1=90,v2=10")?.map(\.percent) == [90, 10])
        #expect(Gates.parseSplit("v1=90,v2=20") == nil)
        #expect(Gates.parseSplit("v1") == nil)
    }
}
