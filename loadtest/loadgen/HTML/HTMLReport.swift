import SkalarRuntime

/// `--html FILE`: the run as one self-contained page that a person would rather look at than the text
/// summary: throughput and p50/p99 over time, each version's share over time (where a canary shift or a
/// rollout shows), the status-code mix, and the gates with their verdicts. Inline SVG and CSS only; its
/// Content-Security-Policy lets the page load nothing at all.
struct HTMLReport {
    let report: Report

    static let palette = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0891b2", "#db2777", "#65a30d"]

    var html: String {
        let plan = report.plan
        let timeline = report.timeline
        let rates = zip([0] + timeline.map(\.elapsed), timeline).map { previous, point in
            (x: point.elapsed, y: Double(point.completed) / max(point.elapsed - previous, 0.001))
        }
        let throughput = SVGChart(
            title: "Throughput", unit: "/s",
            series: [
                SVGChart.Series(name: "requests/s", color: Self.palette[0], points: rates),
                SVGChart.Series(
                    name: "failed/s", color: Self.palette[3],
                    points: zip(rates, timeline).map {
                        (x: $0.x, y: $0.y * Double($1.failed) / Double(max($1.completed, 1)))
                    }),
            ], style: .lines)
        let latency = SVGChart(
            title: "Latency", unit: " ms",
            series: [
                SVGChart.Series(
                    name: "p50", color: Self.palette[2], points: timeline.map { (x: $0.elapsed, y: $0.p50) }),
                SVGChart.Series(
                    name: "p99", color: Self.palette[1], points: timeline.map { (x: $0.elapsed, y: $0.p99) }),
            ], style: .lines)
        let versions = Set(timeline.flatMap { $0.versions.keys }).sorted()
        let shares = SVGChart(
            title: "Share by \(plan.gates.splitHeader)", unit: "%",
            series: versions.enumerated().map { index, version in
                SVGChart.Series(
                    name: version, color: Self.palette[index % Self.palette.count],
                    points: timeline.map { point in
                        let total = point.versions.values.reduce(0, +)
                        return (
                            x: point.elapsed,
                            y: total == 0 ? 0 : Double(point.versions[version] ?? 0) * 100 / Double(total)
                        )
                    })
            }, style: .stackedAreas, yMaximum: 100)

        let noShares = "<p class=\"empty\">No response carried \(HTML.escape(plan.gates.splitHeader)).</p>"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>loadgen report: \(HTML.escape(verdictWord))</title>
            <style>\(Self.stylesheet)</style></head>
            <body><main>
            <h1>loadgen report <span class="verdict \(report.outcome.rawValue)">\(HTML.escape(verdictWord))</span></h1>
            <p class="summary">\(HTML.escape(summary))</p>
            <section class="charts">
            \(throughput.svg)
            \(latency.svg)
            \(versions.isEmpty ? noShares : shares.svg)
            </section>
            <section><h2>Status codes</h2>\(statusMix)</section>
            <section><h2>Gates</h2>\(gatesTable)</section>
            <section><h2>By version</h2>\(versionsTable)</section>
            </main></body></html>

            """
    }

    private var verdictWord: String {
        report.interrupted ? "interrupted" : report.outcome.rawValue
    }

    private var summary: String {
        let plan = report.plan
        return "\(plan.modeDescription), \(plan.targets.map(\.base).joined(separator: ", ")): "
            + "\(report.tally.completed) requests in \(Report.number(report.seconds)) s, "
            + "\(Report.number(report.errorRate * 100))% failed, "
            + "p50 \(Report.number(report.percentileMilliseconds(50))) ms, "
            + "p99 \(Report.number(report.percentileMilliseconds(99))) ms"
    }

    /// One bar per status and error kind, as a share of every request.
    private var statusMix: String {
        let rows =
            report.tally.statuses.sorted { $0.key < $1.key }.map { ("\($0.key)", $0.value, $0.key >= 400) }
            + report.tally.errors.sorted { $0.key < $1.key }.map { ($0.key, $0.value, true) }
        let total = max(report.tally.completed, 1)
        return "<table class=\"mix\">"
            + rows.map { name, count, failed in
                let percent = Double(count) * 100 / Double(total)
                return "<tr><th>\(HTML.escape(name))</th><td class=\"count\">\(count)</td><td class=\"bar\">"
                    + "<svg viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\">"
                    + "<rect class=\"\(failed ? "failed" : "ok")\" "
                    + "width=\"\(SVGChart.format(max(percent, 0.3)))\" height=\"10\"/></svg></td>"
                    + "<td>\(Report.number(percent))%</td></tr>"
            }.joined() + "</table>"
    }

    private var gatesTable: String {
        "<table class=\"gates\"><tr><th>gate</th><th>verdict</th><th>detail</th></tr>"
            + report.verdicts.map {
                "<tr><td>\(HTML.escape($0.gate))</td><td class=\"verdict \($0.outcome.rawValue)\">"
                    + "\($0.outcome.rawValue)</td><td>\(HTML.escape($0.detail))</td></tr>"
            }.joined() + "</table>"
    }

    private var versionsTable: String {
        let versions = report.tally.byVersion.sorted { $0.key < $1.key }
        guard !versions.isEmpty else { return "<p class=\"empty\">No version answered.</p>" }
        let total = versions.reduce(0) { $0 + $1.value.responses }
        return "<table><tr><th>\(HTML.escape(report.plan.gates.splitHeader))</th><th>responses</th><th>share</th>"
            + "<th>failed</th><th>p50</th><th>p90</th><th>p99</th></tr>"
            + versions.map { name, version in
                "<tr><td>\(HTML.escape(name))</td><td>\(version.responses)</td>"
                    + "<td>\(Report.number(Double(version.responses) * 100 / Double(total)))%</td>"
                    + "<td>\(Report.number(version.errorRate * 100))%</td>"
                    + [50.0, 90, 99].map { "<td>\(Report.number(Report.percentile(version.latency, $0))) ms</td>" }
                    .joined()
                    + "</tr>"
            }.joined() + "</table>"
    }

    static let stylesheet = """
        body { font: 14px/1.4 system-ui, sans-serif; color: #111827; background: #f9fafb; margin: 0; }
        main { max-width: 900px; margin: 0 auto; padding: 16px; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 24px; }
        .chart { width: 100%; height: auto; background: #fff; border: 1px solid #e5e7eb; margin: 8px 0; }
        .chart-title { font-weight: 600; font-size: 13px; } .tick, .legend { font-size: 11px; fill: #4b5563; }
        .grid { stroke: #e5e7eb; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
        .mix .bar { width: 50%; } .mix svg { width: 100%; height: 10px; }
        .ok { fill: #10b981; } .failed { fill: #ef4444; }
        .verdict { font-weight: 600; } .verdict.pass { color: #047857; } .verdict.fail { color: #b91c1c; }
        .verdict.inconclusive { color: #b45309; }
        """
}
