import HTTPTypes
import SkalarRuntime

/// Everything a run needs, checked: targets, the request mix, the mode and its bounds, and the gates.
struct LoadPlan {
    enum Mode {
        /// A fixed number of connections, each sending its next request when the last one answered.
        case closed
        /// Requests sent on a schedule regardless of answers; latency counts from the scheduled time.
        case open(LoadShape)
    }

    struct Target {
        let endpoint: HTTPEndpoint
        let base: String
    }

    let targets: [Target]
    let scenarios: [Scenario]
    let mode: Mode
    let connections: Int
    let durationSeconds: Double?
    let requestLimit: Int?
    let timeoutMilliseconds: Int
    let headers: HTTPFields
    let waitReadySeconds: Double?
    let gates: Gates
    let eventLoops: Int
    let jsonPath: String?

    /// The header whose values make the version split, and which are tallied.
    static let versionHeaders = ["X-App-Version", "X-Backend-Version"]

    var modeDescription: String {
        switch mode {
        case .closed: return "closed loop"
        case let .open(shape): return "open loop, \(shape)"
        }
    }

    var boundDescription: String {
        [durationSeconds.map { "\(Self.format($0)) s" }, requestLimit.map { "\($0) requests" }]
            .compactMap { $0 }.joined(separator: " or ")
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// The pass/fail checks that set the exit status.
struct Gates {
    /// Largest share of requests that may fail (transport error or status 400 and above), 0–1.
    var maxErrorRate: Double?
    var maxP99Milliseconds: Double?
    /// Expected percentage per value of `splitHeader`.
    var expectedSplit: [(version: String, percent: Double)] = []
    var splitTolerance: Double = 3
    var splitHeader = "X-App-Version"

    /// `v1=90,v2=10`: percentages that must add up to 100.
    static func parseSplit(_ text: String) -> [(version: String, percent: Double)]? {
        var split: [(version: String, percent: Double)] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let percent = Double(parts[1]), (0...100).contains(percent) else { return nil }
            split.append((parts[0], percent))
        }
        guard !split.isEmpty, abs(split.map(\.percent).reduce(0, +) - 100) < 0.001 else { return nil }
        return split
    }
}

/// A run that cannot start; the command exits 2 with this line.
enum LoadgenError: Error, CustomStringConvertible {
    case usage(String)

    var description: String {
        switch self {
        case let .usage(line): return line
        }
    }
}
