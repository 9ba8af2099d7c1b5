import Glibc
import HTTPTypes
import SkalarRuntime

/// The once-a-second line on standard error: elapsed, rate, p50/p99 of the last second, errors so far,
/// and the version split so far.
struct ProgressPrinter {
    let enabled: Bool

    func report(elapsed: Double, interval: Tally, total: Tally) {
        let p50 = Report.percentile(interval.latency, 50)
        let p99 = Report.percentile(interval.latency, 99)
        let versions = total.versions[HTTPField.Name.appVersion.rawName] ?? [:]
        let sum = versions.values.reduce(0, +)
        let split = versions.sorted { $0.key < $1.key }
            .map { "\($0.key) \(Report.number(Double($0.value) * 100 / Double(max(sum, 1))))%" }.joined(separator: " ")
        line(
            "[\(Report.number(elapsed.rounded()))s] \(interval.completed) req/s  p50 \(Report.number(p50)) ms  p99 "
                + "\(Report.number(p99)) ms  errors \(total.failures)  \(split)"
        )
    }

    func line(_ text: String) {
        let output = text + "\n"
        output.withCString { _ = Glibc.write(STDERR_FILENO, $0, strlen($0)) }
    }
}
