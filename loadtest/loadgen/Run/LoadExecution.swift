import SkalarRuntime

/// One run from the first request to its report, on loops of its own that are shut down at the end: the
/// command line's run and each of `loadgen serve`'s runs.
///
/// It waits for the targets first when the plan says so, then ticks once a second (the progress line)
/// until the run is over or `pause` reports an interruption. Requests still in flight when the load ends
/// get their timeout to finish, then count as unfinished.
struct LoadExecution {
    enum Outcome {
        case finished(Report)
        /// `--wait-ready` ran out before any request was sent.
        case targetsNotReady(Duration)
    }

    let plan: LoadPlan
    let progress: ProgressPrinter
    /// Whether the run's loops are shut down at the end: by the server, which outlives its runs; not by
    /// the command line, which exits.
    let releasesLoops: Bool
    /// Sleeps up to the given time; true when the run must stop (a signal, the server shutting down).
    let pause: (Duration) -> Bool

    func run() -> Outcome {
        let runner = LoadRunner(plan: plan)
        defer { if releasesLoops { runner.shutdown() } }
        if let patience = plan.waitReady {
            guard Blocking.wait({ await runner.waitUntilReady(within: patience) }) else {
                return .targetsNotReady(patience)
            }
        }
        runner.start()
        var interrupted = false
        var lastProgress = 0.0
        var timeline: [TimelinePoint] = []
        /// The second since the last tick, taken from every loop and kept for the report.
        func tick(_ elapsed: Double) -> Tally {
            let interval = runner.stats.reduce(into: Tally()) { $0.add($1.takeInterval()) }
            timeline.append(TimelinePoint(elapsed: elapsed, interval: interval, splitHeader: plan.gates.splitHeader))
            return interval
        }
        var drainDeadline: UInt64?
        while !runner.isFinished {
            if pause(.milliseconds(50)), !interrupted {
                interrupted = true
                runner.stop()
                drainDeadline = MonotonicClock.nanoseconds() + 1_000_000_000
            }
            let elapsed = runner.elapsed.inSeconds
            if elapsed - lastProgress >= 1 {
                lastProgress = elapsed
                let interval = tick(elapsed)
                if progress.enabled {
                    progress.report(
                        elapsed: elapsed, interval: interval,
                        total: runner.stats.reduce(into: Tally()) { $0.add($1.total) })
                }
            }
            if drainDeadline == nil, runner.isStopping {
                drainDeadline =
                    MonotonicClock.nanoseconds() + UInt64(plan.timeout.wholeMilliseconds) * 1_000_000 + 500_000_000
            }
            if let drainDeadline, MonotonicClock.nanoseconds() > drainDeadline { break }
        }
        let seconds = runner.elapsed.inSeconds
        if seconds > lastProgress { _ = tick(seconds) }
        let tally = runner.stats.reduce(into: Tally()) { $0.add($1.total) }
        return .finished(
            Report(
                plan: plan, tally: tally, seconds: seconds, unfinished: runner.requestsInFlight,
                interrupted: interrupted, timeline: timeline))
    }
}
