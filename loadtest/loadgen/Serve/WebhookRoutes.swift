import ArgumentParser
import Glibc
import HTTPTypes
import Logging
import SkalarRuntime

/// `POST /`: a Flagger webhook that runs loadgen. A gate answers 200 when the run's gates passed and 412
/// when one failed or could not decide, with the run's JSON report either way; a load answers 202 when
/// it started the run, 200 when the same command runs already, and 412 once when its last run failed.
/// A bad body or command is a 400, a full server a 429; a run cut short by the server's shutdown a 503.
struct WebhookRoutes {
    let registry: RunRegistry
    let maxRunDuration: Duration
    let state: ServiceState
    let logger: Logger

    func register(on router: Router) {
        router.post("/") { request in
            let webhook = try WebhookRequest(request)
            let plan = try plan(webhook.arguments)
            switch registry.admit(webhook.kind, webhook.arguments) {
            case .full:
                throw HTTPError(
                    .tooManyRequests, code: "too_many_runs",
                    message: "\(registry.maxConcurrentRuns) runs are in progress (MAX_CONCURRENT_RUNS); try again later"
                )
            case let .alreadyRunning(id):
                return .json(["run": .number(Double(id)), "status": "running"])
            case let .previousRunFailed(report):
                return .json(
                    [
                        "status": "previous_run_failed", "outcome": .string(report.outcome.rawValue),
                        "report": report.json,
                    ],
                    status: .preconditionFailed)
            case let .admitted(id):
                var logger = logger
                logger[metadataKey: "run"] = "\(id)"
                logger.info(
                    "run started",
                    metadata: [
                        "type": "\(webhook.kind.rawValue)", "canary": "\(webhook.canary)", "phase": "\(webhook.phase)",
                        "cmd": "\(webhook.arguments.joined(separator: " "))",
                    ])
                let run = Run(id: id, kind: webhook.kind, words: webhook.arguments, plan: plan, logger: logger)
                guard webhook.kind == .gate else {
                    try start(run) { _ in }
                    return .json(["run": .number(Double(id)), "status": "started"], status: .accepted)
                }
                let outcome = try await withCheckedThrowingContinuation { continuation in
                    do {
                        try start(run) { continuation.resume(returning: $0) }
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                return Self.response(run: id, outcome)
            }
        }
    }

    private struct Run: Sendable {
        let id: Int
        let kind: RunRegistry.Kind
        let words: [String]
        let plan: LoadPlan
        let logger: Logger
    }

    /// loadgen's own options, checked as on the command line, and bounded to `MAX_RUN_SECONDS`.
    private func plan(_ arguments: [String]) throws(HTTPError) -> LoadPlan {
        let plan: LoadPlan
        do {
            plan = try LoadPlan(options: LoadgenCommand.parse(arguments))
        } catch {
            let message =
                (error as? ConfigurationError)?.description
                ?? LoadgenCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw HTTPError.badRequest("metadata.cmd: \(message)", code: "invalid_command")
        }
        guard let bounded = plan.bounded(to: maxRunDuration) else {
            throw HTTPError.badRequest(
                "metadata.cmd asks for a run longer than \(maxRunDuration.wholeMilliseconds / 1000) s "
                    + "(MAX_RUN_SECONDS), waiting for the targets included",
                code: "run_too_long")
        }
        return bounded
    }

    /// Runs on a thread of its own (the run waits and polls, which must not hold up the server's loops),
    /// then frees the place and calls `done`.
    private func start(_ run: Run, done: @escaping @Sendable (LoadExecution.Outcome) -> Void) throws(HTTPError) {
        let state = state
        let registry = registry
        let started = SystemThread.start {
            let execution = LoadExecution(
                plan: run.plan, progress: ProgressPrinter(enabled: false), releasesLoops: true
            ) {
                timeout in
                usleep(UInt32(timeout.wholeMilliseconds * 1000))
                return state.isShuttingDown
            }
            let outcome = execution.run()
            let label = RunRegistry.Outcome(outcome)
            switch outcome {
            case let .finished(report):
                registry.finish(run.kind, run.words, outcome: label, report: report)
                let gates = report.verdicts.map { "\($0.gate): \($0.outcome.rawValue) — \($0.detail)" }
                run.logger.info(
                    "run finished",
                    metadata: [
                        "outcome": "\(label.rawValue)", "requests": "\(report.tally.completed)",
                        "error_rate": "\(Report.number(report.errorRate * 100))%",
                        "gates": "\(gates.joined(separator: "; "))",
                    ])
            case .targetsNotReady:
                registry.finish(run.kind, run.words, outcome: label, report: nil)
                run.logger.warning("run finished", metadata: ["outcome": "\(label.rawValue)"])
            }
            done(outcome)
        }
        switch started {
        case let .success(thread): thread.detach()
        case let .failure(error):
            registry.finish(run.kind, run.words, outcome: .interrupted, report: nil)
            throw HTTPError(.serviceUnavailable, code: "no_thread", message: "cannot start the run: \(error)")
        }
    }

    private static func response(run id: Int, _ outcome: LoadExecution.Outcome) -> Response {
        switch outcome {
        case let .finished(report):
            let status: HTTPResponse.Status =
                report.interrupted ? .serviceUnavailable : report.outcome == .pass ? .ok : .preconditionFailed
            return .json(
                ["run": .number(Double(id)), "outcome": .string(report.outcome.rawValue), "report": report.json],
                status: status)
        case let .targetsNotReady(patience):
            return .json(
                [
                    "run": .number(Double(id)), "outcome": "not_ready",
                    "message": .string("the targets did not answer 2xx within \(patience.wholeMilliseconds / 1000) s"),
                ],
                status: .preconditionFailed)
        }
    }
}
