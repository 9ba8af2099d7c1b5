/// One comparison gate's pair and limit: `v2/v1=1.2` compares the canary `v2` against the stable `v1`.
struct VersionComparison {
    let canary: String
    let stable: String
    let limit: Double

    var pair: String { "\(canary)/\(stable)" }

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
