/// One comparison gate's pair and limit: `v2/v1=1.2` compares the canary `v2` against the stable `v1`.
struct VersionComparison {
    let canary: String
    let stable: String
    let limit: Double

    var pair: String { "\(canary)/\(stable)" }

    /// Both versions' tallies, when both answered.
    func tallies(in versions: [String: VersionTally]) -> (canary: VersionTally, stable: VersionTally)? {
        guard let canary = versions[canary], let stable = versions[stable], canary.responses > 0,
            stable.responses > 0
        else { return nil }
        return (canary, stable)
    }

    /// A comparison gate's verdict when one of the pair never answered: it cannot decide.
    func unanswered(gate: String, limit: String, _ versions: [String: VersionTally]) -> Verdict {
        let absent = [canary, stable].filter { (versions[$0]?.responses ?? 0) == 0 }
        let who = absent.count == 2 ? "neither \(absent[0]) nor \(absent[1])" : "\(absent[0]) never"
        return Verdict(
            gate: gate, outcome: .inconclusive, detail: "\(who) answered, so the two cannot be compared; \(limit)")
    }

    /// `CANARY/STABLE=LIMIT[,...]`, each limit above 0; nil when malformed.
    static func parse(_ text: String) -> [VersionComparison]? {
        var comparisons: [VersionComparison] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let sides = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard sides.count == 2, let limit = Double(sides[1]), limit.isFinite, limit > 0 else { return nil }
            let names = sides[0].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard names.count == 2, !names[0].isEmpty, !names[1].isEmpty, names[0] != names[1] else { return nil }
            comparisons.append(VersionComparison(canary: names[0], stable: names[1], limit: limit))
        }
        return comparisons
    }
}
