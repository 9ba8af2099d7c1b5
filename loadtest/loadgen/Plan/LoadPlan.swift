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
    let duration: Duration?
    let requestLimit: Int?
    let timeout: Duration
    let headers: HTTPFields
    let waitReady: Duration?
    let gates: Gates
    let eventLoops: Int
    let jsonPath: String?
    let htmlPath: String?

    /// The headers whose values are tallied; the first makes the version split unless `--split-header` says otherwise.
    static let versionHeaders: [HTTPField.Name] = [.appVersion, .backendVersion]

    /// The version headers, and the split gate's header when it is another one.
    var tallyHeaders: [HTTPField.Name] {
        let split = HTTPField.Name(gates.splitHeader)!
        return Self.versionHeaders.contains(split) ? Self.versionHeaders : Self.versionHeaders + [split]
    }

    var modeDescription: String {
        switch mode {
        case .closed: return "closed loop"
        case let .open(shape): return "open loop, \(shape)"
        }
    }

    var boundDescription: String {
        [duration.map { "\(Self.format($0.inSeconds)) s" }, requestLimit.map { "\($0) requests" }]
            .compactMap { $0 }.joined(separator: " or ")
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
