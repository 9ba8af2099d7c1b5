import Histogram
import SkalarRuntime

/// The summary of a run: text for people, JSON for pipelines, and the gates' verdicts.
struct Report {
    let plan: LoadPlan
    let tally: Tally
    let seconds: Double
    let unfinished: Int
    let interrupted: Bool
    /// Second by second, for the HTML report.
    let timeline: [TimelinePoint]

    var errorRate: Double {
        let failed = tally.failures + tally.statuses.filter { $0.key >= 400 }.values.reduce(0, +)
        return tally.completed == 0 ? 0 : Double(failed) / Double(tally.completed)
    }

    func percentileMilliseconds(_ percentile: Double) -> Double { Self.percentile(tally.latency, percentile) }

    static func percentile(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double {
        histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
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
            verdicts.append(Verdict(gate: "requests", outcome: .fail, detail: "no request completed"))
        } else if errorRate == 1 {
            verdicts.append(
                Verdict(gate: "requests", outcome: .fail, detail: "all \(tally.completed) requests failed"))
        }
        verdicts.append(
            Verdict(
                gate: "max-error-rate", outcome: errorRate <= gates.maxErrorRate ? .pass : .fail,
                detail: "\(percent(errorRate * 100)) failed, limit \(percent(gates.maxErrorRate * 100))"
                    + (gates.maxErrorRateIsDefault ? " (the default; --max-error-rate sets it)" : "")))
        if let limit = gates.maxP99.map({ $0.inSeconds * 1000 }) {
            let p99 = percentileMilliseconds(99)
            verdicts.append(
                Verdict(
                    gate: "max-p99", outcome: p99 <= limit ? .pass : .fail,
                    detail: "p99 \(milliseconds(p99)), limit \(milliseconds(limit))"))
        }
        if !gates.expectedSplit.isEmpty {
            let gate = SplitGate(
                expected: gates.expectedSplit, tolerance: gates.splitTolerance, header: gates.splitHeader,
                confidence: gates.confidence)
            verdicts.append(gate.verdict(counts: tally.versions[gates.splitHeader] ?? [:]))
        }
        for comparison in gates.maxErrorRateDelta {
            verdicts.append(
                ErrorRateDeltaGate(comparison: comparison, confidence: gates.confidence).verdict(tally.byVersion))
        }
        for comparison in gates.maxP99Ratio {
            verdicts.append(
                LatencyRatioGate(comparison: comparison, confidence: gates.confidence).verdict(tally.byVersion))
        }
        return verdicts
    }

    /// The process's exit status for this report: 130 interrupted, else 1 a gate failed, 3 one could not
    /// decide, 0 all passed.
    var exitStatus: Int32 {
        if interrupted { return 130 }
        switch outcome {
        case .pass: return 0
        case .fail: return 1
        case .inconclusive: return 3
        }
    }

    /// Fail when any gate failed; else inconclusive when any gate could not decide; else pass.
    var outcome: Verdict.Outcome {
        let outcomes = verdicts.map(\.outcome)
        return outcomes.contains(.fail) ? .fail : outcomes.contains(.inconclusive) ? .inconclusive : .pass
    }

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
        for header in plan.tallyHeaders.map(\.rawName) where tally.versions[header] != nil {
            let parts = split(header).map { "\($0.version) \($0.count) (\(percent($0.percent)))" }
            lines.append(
                header + String(repeating: " ", count: max(1, 19 - header.count)) + parts.joined(separator: "  "))
        }
        let splitTotal = tally.byVersion.values.reduce(0) { $0 + $1.responses }
        for (value, version) in tally.byVersion.sorted(by: { $0.key < $1.key }) {
            let share = Double(version.responses) * 100 / Double(splitTotal)
            lines.append(
                "By version \(plan.gates.splitHeader) \(value): \(version.responses) (\(percent(share))), failed "
                    + "\(percent(version.errorRate * 100)), p50 \(milliseconds(Self.percentile(version.latency, 50)))  "
                    + "p90 \(milliseconds(Self.percentile(version.latency, 90)))  "
                    + "p99 \(milliseconds(Self.percentile(version.latency, 99)))")
        }
        for verdict in verdicts {
            lines.append("Gate       \(verdict.gate): \(Self.label(verdict.outcome)) — \(verdict.detail)")
        }
        return lines.joined(separator: "\n")
    }

    var json: JSONValue {
        func number(_ value: Double) -> JSONValue { .number((value * 1000).rounded() / 1000) }
        var versions: [(String, JSONValue)] = []
        for header in plan.tallyHeaders.map(\.rawName) where tally.versions[header] != nil {
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
            "byVersion": [
                "header": .string(plan.gates.splitHeader),
                "versions": .object(
                    tally.byVersion.sorted { $0.key < $1.key }.map { value, version in
                        let total = tally.byVersion.values.reduce(0) { $0 + $1.responses }
                        return (
                            value,
                            [
                                "count": .number(Double(version.responses)),
                                "percent": number(Double(version.responses) * 100 / Double(total)),
                                "errorRate": number(version.errorRate),
                                "latencyMs": [
                                    "p50": number(Self.percentile(version.latency, 50)),
                                    "p90": number(Self.percentile(version.latency, 90)),
                                    "p99": number(Self.percentile(version.latency, 99)),
                                ],
                            ]
                        )
                    }),
            ],
            "gates": .array(
                verdicts.map {
                    [
                        "gate": .string($0.gate), "outcome": .string($0.outcome.rawValue), "passed": .bool($0.passed),
                        "detail": .string($0.detail),
                    ]
                }),
            "outcome": .string(outcome.rawValue),
            "passed": .bool(outcome == .pass),
        ]
    }

    private static func label(_ outcome: Verdict.Outcome) -> String {
        switch outcome {
        case .pass: return "pass"
        case .fail: return "FAIL"
        case .inconclusive: return "INCONCLUSIVE"
        }
    }

    private func milliseconds(_ value: Double) -> String { "\(Report.number(value)) ms" }
    private func percent(_ value: Double) -> String { "\(Report.number(value))%" }

    /// "1 point", "3 points".
    static func points(_ value: Double) -> String { value == 1 ? "1 point" : "\(number(value)) points" }

    /// A number with at most two decimals.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
