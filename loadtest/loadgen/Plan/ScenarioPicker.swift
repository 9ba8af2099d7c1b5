/// Picks scenarios in proportion to their weights, in a fixed interleaved order, so that even short runs
/// have the asked proportions.
struct ScenarioPicker {
    private let sequence: [Int]

    init(_ scenarios: [Scenario]) {
        let divisor = scenarios.map(\.weight).reduce(0) { gcd($0, $1) }
        var sequence: [Int] = []
        var credit = [Double](repeating: 0, count: scenarios.count)
        let total = scenarios.map { $0.weight / divisor }.reduce(0, +)
        for _ in 0..<total {
            for index in scenarios.indices {
                credit[index] += Double(scenarios[index].weight / divisor) / Double(total)
            }
            let next = credit.indices.max { credit[$0] < credit[$1] }!
            credit[next] -= 1
            sequence.append(next)
        }
        self.sequence = sequence
    }

    func scenarioIndex(for requestNumber: Int) -> Int {
        sequence[requestNumber % sequence.count]
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
