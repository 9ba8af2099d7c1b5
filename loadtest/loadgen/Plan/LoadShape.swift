/// How the open loop's arrival rate changes over the run.
enum LoadShape: Equatable, CustomStringConvertible {
    case constant(rate: Double)
    /// From one rate to another, linearly over `seconds`, then holding the last.
    case ramp(from: Double, to: Double, seconds: Double)
    /// Each rate in turn for `seconds`, holding the last.
    case steps(rates: [Double], seconds: Double)
    /// A base rate, with a peak from `at` for `length` seconds.
    case spike(base: Double, peak: Double, at: Double, length: Double)

    /// Requests per second at `t` seconds into the run.
    func rate(at t: Double) -> Double {
        switch self {
        case let .constant(rate): return rate
        case let .ramp(from, to, seconds):
            return t >= seconds ? to : from + (to - from) * t / seconds
        case let .steps(rates, seconds):
            return rates[min(rates.count - 1, Int(t / seconds))]
        case let .spike(base, peak, at, length):
            return t >= at && t < at + length ? peak : base
        }
    }

    /// Parses `constant:R`, `ramp:FROM:TO:TIME`, `steps:R1,R2,…:TIME` or `spike:BASE:PEAK:AT:LENGTH`
    /// (times as durations such as `30s`); `--rate` supplies the rate of a bare `constant`.
    static func parse(_ text: String, rate: Double?) -> LoadShape? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ value: String) -> Double? { Double(value).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil } }
        func time(_ value: String) -> Double? { DurationText.seconds(value).flatMap { $0 > 0 ? $0 : nil } }
        switch (parts[0], parts.count) {
        case ("constant", 1): return rate.map { .constant(rate: $0) }
        case ("constant", 2): return number(parts[1]).map { .constant(rate: $0) }
        case ("ramp", 4):
            guard let from = number(parts[1]), let to = number(parts[2]), let seconds = time(parts[3]) else {
                return nil
            }
            return .ramp(from: from, to: to, seconds: seconds)
        case ("steps", 3):
            let rates = parts[1].split(separator: ",").compactMap { number(String($0)) }
            guard !rates.isEmpty, rates.count == parts[1].split(separator: ",").count, let seconds = time(parts[2])
            else { return nil }
            return .steps(rates: rates, seconds: seconds)
        case ("spike", 5):
            guard let base = number(parts[1]), let peak = number(parts[2]),
                let at = time(parts[3]) ?? (parts[3] == "0s" ? 0 : nil),
                let length = time(parts[4])
            else { return nil }
            return .spike(base: base, peak: peak, at: at, length: length)
        default: return nil
        }
    }

    var description: String {
        switch self {
        case let .constant(rate): return "constant \(Int(rate)) req/s"
        case let .ramp(from, to, seconds): return "ramp \(Int(from))→\(Int(to)) req/s over \(seconds) s"
        case let .steps(rates, seconds):
            return "steps \(rates.map { String(Int($0)) }.joined(separator: ",")) req/s, \(seconds) s each"
        case let .spike(base, peak, at, length):
            return "spike \(Int(base)) req/s, \(Int(peak)) req/s from \(at) s for \(length) s"
        }
    }
}
