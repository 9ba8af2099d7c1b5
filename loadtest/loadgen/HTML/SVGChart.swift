import SkalarRuntime

/// An inline SVG chart of series over a run's seconds: axes with round ticks, lines or stacked areas,
/// and a legend. Every label is escaped; nothing refers to anything outside the document.
struct SVGChart {
    struct Series {
        let name: String
        let color: String
        /// (seconds, value) pairs in time order.
        let points: [(x: Double, y: Double)]
    }

    enum Style {
        case lines
        /// Each series stacked on the ones before it, for shares that add up to 100.
        case stackedAreas
    }

    let title: String
    let unit: String
    let series: [Series]
    let style: Style
    /// The y axis's top; the data's largest value (rounded up) when nil.
    var yMaximum: Double?

    static let legendNameLength = 40
    static let width = 860.0
    static let height = 240.0
    static let margin = (left: 64.0, right: 16.0, top: 28.0, bottom: 34.0)

    var svg: String {
        let plotWidth = Self.width - Self.margin.left - Self.margin.right
        let plotHeight = Self.height - Self.margin.top - Self.margin.bottom
        let xMaximum = max(1, series.flatMap { $0.points.map(\.x) }.max() ?? 1)
        let yTop = yMaximum ?? Self.roundUp(stackedTops.max() ?? 1)
        func x(_ value: Double) -> Double { Self.margin.left + value / xMaximum * plotWidth }
        func y(_ value: Double) -> Double { Self.margin.top + plotHeight - min(value, yTop) / yTop * plotHeight }

        var out = """
            <svg class="chart" role="img" viewBox="0 0 \(Self.format(Self.width)) \(Self.format(Self.height))" \
            xmlns="http://www.w3.org/2000/svg"><title>\(HTML.escape(title))</title>
            <text class="chart-title" x="\(Self.format(Self.margin.left))" y="18">\(HTML.escape(title))</text>

            """
        for tick in Self.ticks(upTo: yTop) {
            out += """
                <line class="grid" x1="\(Self.format(x(0)))" x2="\(Self.format(x(xMaximum)))" \
                y1="\(Self.format(y(tick)))" y2="\(Self.format(y(tick)))"/>\
                <text class="tick" x="\(Self.format(Self.margin.left - 6))" y="\(Self.format(y(tick) + 4))" \
                text-anchor="end">\(Self.format(tick))\(HTML.escape(unit))</text>

                """
        }
        for tick in Self.ticks(upTo: xMaximum) {
            out += """
                <text class="tick" x="\(Self.format(x(tick)))" y="\(Self.format(Self.height - 14))" \
                text-anchor="middle">\(Self.format(tick)) s</text>

                """
        }
        switch style {
        case .lines:
            for line in series where !line.points.isEmpty {
                let points = line.points.map { "\(Self.format(x($0.x))),\(Self.format(y($0.y)))" }
                out += """
                    <polyline class="series" data-series="\(HTML.escape(line.name))" fill="none" \
                    stroke="\(line.color)" stroke-width="2" points="\(points.joined(separator: " "))"/>

                    """
            }
        case .stackedAreas:
            var below = [Double](repeating: 0, count: series.first?.points.count ?? 0)
            for area in series where area.points.count == below.count && !below.isEmpty {
                let above = zip(below, area.points).map { $0 + $1.y }
                let top = zip(area.points, above).map { "\(Self.format(x($0.x))),\(Self.format(y($1)))" }
                let bottom = zip(area.points, below).reversed().map { "\(Self.format(x($0.x))),\(Self.format(y($1)))" }
                out += """
                    <polygon class="series" data-series="\(HTML.escape(area.name))" fill="\(area.color)" \
                    fill-opacity="0.85" points="\((top + bottom).joined(separator: " "))"/>

                    """
                below = above
            }
        }
        // Legend entries side by side, each as wide as its (shortened) name at the legend's font size.
        var left = 250.0
        for item in series {
            let name =
                item.name.count > Self.legendNameLength ? item.name.prefix(Self.legendNameLength) + "…" : item.name
            out += """
                <rect x="\(Self.format(left))" y="8" width="12" height="12" fill="\(item.color)"/>\
                <text class="legend" x="\(Self.format(left + 16))" y="18">\(HTML.escape(String(name)))</text>

                """
            left += 28 + 6.5 * Double(name.count)
        }
        return out + "</svg>"
    }

    /// The largest value at each second: a line's own, or the stack's sum.
    private var stackedTops: [Double] {
        switch style {
        case .lines: return series.flatMap { $0.points.map(\.y) }
        case .stackedAreas:
            guard let first = series.first else { return [] }
            return first.points.indices.map { index in series.reduce(0) { $0 + ($1.points[safe: index]?.y ?? 0) } }
        }
    }

    /// 1, 2 or 5 times a power of ten, at or above `value`.
    static func roundUp(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        var step = 1.0
        while step < value { step *= 10 }
        while step / 10 >= value { step /= 10 }
        for candidate in [step / 5, step / 2, step] where candidate >= value { return candidate }
        return step
    }

    /// Four or five round ticks from 0 to `top`.
    static func ticks(upTo top: Double) -> [Double] {
        let step = roundUp(top / 5)
        return stride(from: 0, through: top + step / 1000, by: step).map { $0 }
    }

    static func format(_ value: Double) -> String { Report.number(value) }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
