import SkalarRuntime

/// The summary of a run: text for people, JSON for pipelines, and the gates' verdicts.
struct Report {
    struct Verdict {
        let gate: String
        let passed: Bool
        let detail: String
    }

    let plan: LoadPlan
    let tally: Tally
    let seconds: Double
    let unfinished: Int
    let interrupted: Bool

    var errorRate: Double {
        let failed = tally.failures + tally.statuses.filter { $0.key >= 400 }.values.reduce(0, +)
        return tally.completed == 0 ? 0 : Double(failed) / Double(tally.completed)
    }

    func percentileMilliseconds(_ percentile: Double) -> Double {
        tally.latency.totalCount == 0 ? 0 : Double(tally.latency.valueAtPercentile(percentile)) / 1000
    }

    var maxMilliseconds: Double { tally.latency.totalCount == 0 ? 0 : Double(tally.latency.max) / 1000 }

    /// Percent of the responses that carried `header` that carried each value.
    func split(_ header: String) -> [(version: String, count: Int, percent: Double)] {
        let counts = tally.versions[header] ?? [:]
        let total = counts.values.reduce(0, +)
        return counts.sorted { $0.key < $1.key }.map {
            ($0.key, $0.value, total == 0 ? 0 : Double($0.value) * 100 / Double(total))
        }
    }

    var verdicts: [Verdict] {
        var verdicts: [Verdict] = []
        let gates = plan.gates
        if tally.completed == 0 {
            verdicts.append(Verdict(gate: "requests", passed: false, detail: "no request completed"))
        }
        if let limit = gates.maxErrorRate {
            verdicts.append(
                Verdict(
                    gate: "max-error-rate", passed: errorRate <= limit,
                    detail: "\(percent(errorRate * 100)) failed, limit \(percent(limit * 100))"))
        }
        if let limit = gates.maxP99.map({ $0.inSeconds * 1000 }) {
            let p99 = percentileMilliseconds(99)
            verdicts.append(
                Verdict(
                    gate: "max-p99", passed: p99 <= limit,
                    detail: "p99 \(milliseconds(p99)), limit \(milliseconds(limit))"))
        }
        if !gates.expectedSplit.isEmpty {
            let observed = Dictionary(uniqueKeysWithValues: split(gates.splitHeader).map { ($0.version, $0.percent) })
            let expectedNames = Set(gates.expectedSplit.map(\.version))
            var worst = 0.0
            var parts: [String] = []
            for (version, expected) in gates.expectedSplit {
                let seen = observed[version] ?? 0
                worst = max(worst, abs(seen - expected))
                parts.append("\(version) \(percent(seen)) (expected \(percent(expected)))")
            }
            for (version, seen) in observed where !expectedNames.contains(version) {
                worst = max(worst, seen)
                parts.append("\(version) \(percent(seen)) (expected 0%)")
            }
            verdicts.append(
                Verdict(
                    gate: "expect-split", passed: worst <= gates.splitTolerance,
                    detail:
                        "\(gates.splitHeader): \(parts.joined(separator: ", ")); tolerance "
                        + "±\(Report.number(gates.splitTolerance)) points"
                ))
        }
        return verdicts
    }

    var passed: Bool { verdicts.allSatisfy(\.passed) }

    var text: String {
        var lines: [String] = []
        let rate = seconds > 0 ? Double(tally.completed) / seconds : 0
        lines.append(
            "Skalar loadgen: \(plan.modeDescription), \(plan.connections) connection(s) per target, "
                + "\(plan.targets.count) target(s), bounded by \(plan.boundDescription)"
                + (interrupted ? " (interrupted)" : "")
        )
        lines.append(
            "Requests   \(tally.completed) in \(Report.number(seconds)) s = \(Report.number(rate)) "
                + "req/s\(unfinished > 0 ? ", \(unfinished) unfinished" : "")"
        )
        lines.append(
            "Latency    p50 \(milliseconds(percentileMilliseconds(50)))  p90 "
                + "\(milliseconds(percentileMilliseconds(90)))  p99 \(milliseconds(percentileMilliseconds(99)))  p99.9 "
                + "\(milliseconds(percentileMilliseconds(99.9)))  max \(milliseconds(maxMilliseconds))"
        )
        lines.append(
            "Status     "
                + (tally.statuses.isEmpty
                    ? "none"
                    : tally.statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                        .joined(separator: "  "))
        )
        let errorKinds = ["connect", "reset", "timeout", "invalid_response"]
        lines.append(
            "Errors     " + errorKinds.map { "\($0) \(tally.errors[$0] ?? 0)" }.joined(separator: "  ")
                + "  (failed \(percent(errorRate * 100)))")
        for header in LoadPlan.versionHeaders.map(\.rawName) where tally.versions[header] != nil {
            let parts = split(header).map { "\($0.version) \($0.count) (\(percent($0.percent)))" }
            lines.append(
                header + String(repeating: " ", count: max(1, 19 - header.count)) + parts.joined(separator: "  "))
        }
        for verdict in verdicts {
            lines.append("Gate       \(verdict.gate): \(verdict.passed ? "pass" : "FAIL") — \(verdict.detail)")
        }
        return lines.joined(separator: "\n")
    }

    var json: JSONValue {
        func number(_ value: Double) -> JSONValue { .number((value * 1000).rounded() / 1000) }
        var versions: [(String, JSONValue)] = []
        for header in LoadPlan.versionHeaders.map(\.rawName) where tally.versions[header] != nil {
            versions.append(
                (
                    header,
                    .object(
                        split(header).map {
                            ($0.version, ["count": .number(Double($0.count)), "percent": number($0.percent)])
                        })
                ))
        }
        return [
            "mode": .string(plan.modeDescription),
            "interrupted": .bool(interrupted),
            "seconds": number(seconds),
            "requests": [
                "completed": .number(Double(tally.completed)), "unfinished": .number(Double(unfinished)),
                "perSecond": number(seconds > 0 ? Double(tally.completed) / seconds : 0),
            ],
            "latencyMs": [
                "p50": number(percentileMilliseconds(50)), "p90": number(percentileMilliseconds(90)),
                "p99": number(percentileMilliseconds(99)), "p99.9": number(percentileMilliseconds(99.9)),
                "max": number(maxMilliseconds),
            ],
            "status": .object(
                tally.statuses.sorted { $0.key < $1.key }.map { (String($0.key), .number(Double($0.value))) }),
            "errors": .object(tally.errors.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) }),
            "errorRate": number(errorRate),
            "versions": .object(versions),
            "gates": .array(
                verdicts.map { ["gate": .string($0.gate), "passed": .bool($0.passed), "detail": .string($0.detail)] }),
            "passed": .bool(passed),
        ]
    }

    private func milliseconds(_ value: Double) -> String { "\(Report.number(value)) ms" }
    private func percent(_ value: Double) -> String { "\(Report.number(value))%" }

    /// A number with at most two decimals.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
