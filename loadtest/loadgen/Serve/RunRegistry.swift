import Prometheus
import SkalarRuntime
import Synchronization

/// The server's runs: at most `maxConcurrentRuns` at once, and, per command of a load webhook, whether it
/// runs now and how its last run ended, so that Flagger's next call hears of a failed one.
final class RunRegistry: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        /// Runs while the webhook waits, and answers with its verdict (Flagger's pre-rollout and
        /// confirm gates, or any check that must pass before the rollout goes on).
        case gate
        /// Starts in the background and answers at once (Flagger's rollout webhook, called every analysis
        /// interval): traffic for the canary's own metrics, and a verdict for the next call.
        case load
    }

    /// How a run ended, as `loadgen_runs_total{outcome}` counts it.
    enum Outcome: String, CaseIterable, Sendable {
        case pass, fail, inconclusive, interrupted
        /// `--wait-ready` ran out.
        case notReady = "not_ready"

        init(_ execution: LoadExecution.Outcome) {
            switch execution {
            case let .finished(report):
                switch (report.interrupted, report.outcome) {
                case (true, _): self = .interrupted
                case (false, .pass): self = .pass
                case (false, .fail): self = .fail
                case (false, .inconclusive): self = .inconclusive
                }
            case .targetsNotReady: self = .notReady
            }
        }
    }

    enum Admission {
        case admitted(id: Int)
        /// The same load command runs already.
        case alreadyRunning(id: Int)
        /// The last run of this load command failed; reported once, so the next call starts it again.
        case previousRunFailed(Report)
        case full
    }

    let maxConcurrentRuns: Int
    private struct State {
        var nextID = 1
        var running = 0
        /// Load commands running now, by their words, with their run's id.
        var loadsRunning: [[String]: Int] = [:]
        /// Load commands whose last run failed, with its report, until the next call hears of it.
        var failedLoads: [[String]: Report] = [:]
    }
    private let state = Mutex(State())
    private let activeGauge: Gauge
    private let finished: [String: Prometheus.Counter]

    init(maxConcurrentRuns: Int, metrics: ServiceMetrics) {
        self.maxConcurrentRuns = maxConcurrentRuns
        activeGauge = metrics.registry.makeGauge(
            descriptor: ServiceMetrics.descriptor("loadgen_runs_active", help: "Runs of loadgen serve in progress."))
        var finished: [String: Prometheus.Counter] = [:]
        for kind in Kind.allCases {
            for outcome in Outcome.allCases {
                finished["\(kind.rawValue) \(outcome.rawValue)"] = metrics.registry.makeCounter(
                    descriptor: ServiceMetrics.descriptor(
                        "loadgen_runs_total", help: "Finished runs of loadgen serve, by webhook type and outcome."),
                    labels: [("type", kind.rawValue), ("outcome", outcome.rawValue)])
            }
        }
        self.finished = finished
    }

    /// Takes a place for a run of `words`, unless the bound is reached or (for a load) the command runs
    /// already or its last run failed.
    func admit(_ kind: Kind, _ words: [String]) -> Admission {
        let admission = state.withLock { state -> Admission in
            if kind == .load {
                if let id = state.loadsRunning[words] { return .alreadyRunning(id: id) }
                if let report = state.failedLoads.removeValue(forKey: words) { return .previousRunFailed(report) }
            }
            guard state.running < maxConcurrentRuns else { return .full }
            let id = state.nextID
            state.nextID += 1
            state.running += 1
            if kind == .load { state.loadsRunning[words] = id }
            return .admitted(id: id)
        }
        if case .admitted = admission { activeGauge.increment() }
        return admission
    }

    /// Gives the place back; a load's failed run (not one cut short) is kept for the next call.
    func finish(_ kind: Kind, _ words: [String], outcome: Outcome, report: Report?) {
        state.withLock { state in
            state.running -= 1
            guard kind == .load else { return }
            state.loadsRunning[words] = nil
            if ![.pass, .interrupted].contains(outcome), let report { state.failedLoads[words] = report }
        }
        activeGauge.decrement()
        finished["\(kind.rawValue) \(outcome.rawValue)"]?.increment()
    }
}
