/// Durations written as `250ms`, `30s`, `5m` or a bare number of seconds.
enum DurationText {
    static func seconds(_ text: String) -> Double? {
        let units: [(suffix: String, factor: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Double(text.dropLast(unit.suffix.count)), value >= 0, value.isFinite else { return nil }
            return value * unit.factor
        }
        return Double(text).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
    }
}
