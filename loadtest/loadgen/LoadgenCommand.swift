import ArgumentParser
import Glibc
import SkalarRuntime

/// `loadgen`: puts traffic on Skalar and tells what happened, by version.
struct LoadgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract:
            "Load generator for Skalar: latency percentiles, status and error counts, and which version answered.",
        discussion: """
            Every option can also be set with an environment variable LOADGEN_<OPTION> (for example
            LOADGEN_RATE=200); targets with LOADGEN_TARGETS (space-separated). Without --rate it runs a closed
            loop; with --rate or --shape an open loop whose latencies count from each request's scheduled time.
            Every run ends after --duration or --requests (default 30s). Exit status: 0 pass, 1 a gate failed,
            2 usage error, 130 interrupted (the summary so far is printed).

            EXAMPLES
              Watch the HPA scale the frontend (the walkthrough's busybox loop, bounded):
                loadgen http://frontend-service --rate 300 --duration 5m --mix page

              Check a 90/10 canary through the Istio gateway:
                loadgen http://127.0.0.1:8080 --host my-app.example.com --rate 100 --duration 60s \\
                  --expect-split v1=90,v2=10 --split-tolerance 3 --max-error-rate 0.01

              Prove a rolling update loses nothing, with a report for CI:
                loadgen http://127.0.0.1:8080 --rate 200 --duration 90s --max-error-rate 0 --json rollout.json

              Ramp, steps and a spike:
                loadgen http://127.0.0.1:8080 --shape ramp:10:500:60s --duration 90s
                loadgen http://127.0.0.1:8080 --shape steps:50,100,200:20s --duration 60s
                loadgen http://127.0.0.1:8080 --shape spike:100:1000:30s:5s --duration 60s
            """)

    @Argument(
        help: """
            Base URLs (http://host[:port][/path]); several are used in turn. A path is the request path when no \
            --mix is given.
            """)
    var targets: [String] = []
    @Option(help: "Connections per target; in a closed loop also the number of concurrent requests (default 10).")
    var connections: String?
    @Option(help: "Open loop at this many requests per second (constant shape).") var rate: String?
    @Option(help: "Open-loop shape: constant[:R], ramp:FROM:TO:TIME, steps:R1,R2,...:TIME, spike:BASE:PEAK:AT:LENGTH.")
    var shape: String?
    @Option(help: "Stop after this long, such as 30s or 5m (default 30s unless --requests is given).") var duration:
        String?
    @Option(help: "Stop after this many requests.") var requests: String?
    @Option(
        help: """
            Weighted built-in scenarios: page (GET /), list (GET /api/entries), post (POST /api/entries), e.g. \
            page=1,list=8,post=1.
            """)
    var mix: String?
    @Option(help: "A JSON file of scenarios: {\"scenarios\":[{\"method\",\"path\",\"weight\",\"body\"}]}.") var mixFile:
        String?
    @Option(help: "Host header to send, for host-based routing at a gateway.") var host: String?
    @Option(name: [.short, .customLong("header")], help: "An extra request header, \"Name: value\"; repeatable.")
    var headers: [String] = []
    @Option(help: "Per-request timeout, connect included (default 10s).") var timeout: String?
    @Option(help: "Before starting, wait up to this long for each target to answer 2xx (e.g. 120s).") var waitReady:
        String?
    @Option(help: "Gate: largest share of failed requests (transport errors and statuses >= 400), 0 to 1.")
    var maxErrorRate: String?
    @Option(help: "Gate: largest p99 latency, such as 250ms.") var maxP99: String?
    @Option(help: "Gate: expected split of --split-header values in percent, e.g. v1=90,v2=10.") var expectSplit:
        String?
    @Option(help: "Allowed deviation of each split share, in percentage points (default 3).") var splitTolerance:
        String?
    @Option(help: "Header whose values --expect-split checks (default X-App-Version).") var splitHeader: String?
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Option(help: "Event loops (default: usable CPUs).") var eventLoops: String?
    @Flag(help: "No progress line on standard error.") var quiet = false

    func run() throws {
        let plan = try LoadPlan(options: self)
        ShutdownSignals.block()
        let runner = LoadRunner(plan: plan)
        let progress = ProgressPrinter(enabled: !quiet)

        if let patience = plan.waitReady {
            let ready = Blocking.wait { await runner.waitUntilReady(within: patience) }
            if !ready {
                progress.line("loadgen: targets not ready within \(LoadPlan.format(patience.inSeconds)) s")
                Glibc.exit(1)
            }
        }
        runner.start()
        var interrupted = false
        var lastProgress = 0.0
        // Requests still in flight when the run ends get their timeout to finish, then count as unfinished.
        var drainDeadline: UInt64?
        while !runner.isFinished {
            if case let .signal(signal)? = ShutdownSignals.wait(timeout: .milliseconds(50)) {
                if interrupted { Glibc._exit(128 + signal) }
                interrupted = true
                runner.stop()
                drainDeadline = MonotonicClock.nanoseconds() + 1_000_000_000
            }
            let elapsed = runner.elapsed.inSeconds
            if elapsed - lastProgress >= 1 {
                lastProgress = elapsed
                progress.report(elapsed: elapsed, runner: runner)
            }
            if drainDeadline == nil, runner.isStopping {
                drainDeadline =
                    MonotonicClock.nanoseconds() + UInt64(plan.timeout.wholeMilliseconds) * 1_000_000 + 500_000_000
            }
            if let drainDeadline, MonotonicClock.nanoseconds() > drainDeadline { break }
        }
        let tally = runner.stats.reduce(into: Tally()) { $0.add($1.total) }
        let report = Report(
            plan: plan, tally: tally, seconds: runner.elapsed.inSeconds, unfinished: runner.requestsInFlight,
            interrupted: interrupted)
        print(report.text)
        if let path = plan.jsonPath {
            var document = report.json.serializedBytes
            document.append(UInt8(ascii: "\n"))
            guard Self.write(document, to: path) else {
                progress.line("loadgen: cannot write \(path)")
                Glibc.exit(2)
            }
        }
        Glibc.exit(interrupted ? 130 : report.passed ? 0 : 1)
    }

    private static func write(_ bytes: [UInt8], to path: String) -> Bool {
        guard let file = fopen(path, "wb") else { return false }
        defer { fclose(file) }
        return fwrite(bytes, 1, bytes.count, file) == bytes.count
    }
}
