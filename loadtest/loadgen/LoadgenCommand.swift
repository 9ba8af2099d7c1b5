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
            Every option can also be set with an environment variable LOADGEN_<OPTION> (for example \
            LOADGEN_RATE=200); targets with LOADGEN_TARGETS (space-separated). Without --rate it runs a closed \
            loop; with --rate or --shape an open loop whose latencies count from each request's scheduled time. \
            Every run ends after --duration or --requests (default 30s).

            Failing traffic fails a run: a run in which every request failed, or more than 1% (the default \
            --max-error-rate), exits 1 whatever else was asked. --expect-split judges the split statistically: \
            it fails when a share is outside its tolerance beyond chance at --confidence, passes when the \
            counts are consistent with the tolerance, and, when the run is too small to tell, says how many \
            responses it would need and exits 3.

            `loadgen serve` runs loadgen as a service for Flagger's webhooks instead (`loadgen serve --help`).

            EXIT STATUS
              0    every gate passed
              1    a gate failed (errors, latency, split), or --wait-ready ran out
              2    usage error
              3    no gate failed, but one could not decide: too few responses
              130  interrupted (the summary so far is printed)

            EXAMPLES
              Watch the HPA scale the frontend (the walkthrough's busybox loop, bounded):
                loadgen http://frontend-service --rate 300 --duration 5m --mix page

              Check a 90/10 canary through the Istio gateway:
                loadgen http://127.0.0.1:8080 --host my-app.example.com --rate 100 --duration 60s \\
                  --expect-split v1=90,v2=10 --split-tolerance 3 --max-error-rate 0.01

              Judge a canary against its stable version:
                loadgen http://127.0.0.1:8080 --rate 200 --duration 5m --max-error-rate-delta v2/v1=0.01 \\
                  --max-p99-ratio v2/v1=1.2

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
    @Option(
        help: """
            The most connections to each target (default 10). A closed loop keeps this many requests in flight in \
            all, sent to the targets in turn; an open loop queues a request while all of its target's connections \
            are busy, and counts it as a timeout if none frees up within --timeout.
            """)
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
    @Option(
        name: [.customShort("H"), .customLong("header")], help: "An extra request header, \"Name: value\"; repeatable.")
    var headers: [String] = []
    @Option(help: "Per-request timeout, connect included (default 10s).") var timeout: String?
    @Option(help: "Before starting, wait up to this long for each target to answer 2xx (e.g. 120s).") var waitReady:
        String?
    @Option(
        help: """
            Gate: largest share of failed requests (transport errors and statuses >= 400), 0 to 1 (default 0.01; \
            1 lets any share pass but a run where all failed).
            """)
    var maxErrorRate: String?
    @Option(help: "Gate: largest p99 latency, such as 250ms.") var maxP99: String?
    @Option(help: "Gate: expected split of --split-header values in percent, e.g. v1=90,v2=10.") var expectSplit:
        String?
    @Option(
        help: """
            Allowed deviation of each split share, in percentage points (default 3); 0 checks a split of 100% \
            exactly.
            """)
    var splitTolerance: String?
    @Option(
        help: """
            Gate: how much more of the canary's requests may fail than the stable version's, as CANARY/STABLE=SHARE \
            by --split-header value, e.g. v2/v1=0.01; comma-separated for several pairs.
            """)
    var maxErrorRateDelta: String?
    @Option(
        help: """
            Gate: largest ratio of the canary's p99 latency to the stable version's, as CANARY/STABLE=RATIO, e.g. \
            v2/v1=1.2; comma-separated for several pairs.
            """)
    var maxP99Ratio: String?
    @Option(
        help: "Confidence of the statistical gates in percent (default 99.9): chance fails at most 0.1% of runs.")
    var confidence: String?
    @Option(help: "Header whose values --expect-split checks (default X-App-Version).") var splitHeader: String?
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Option(
        help: """
            Also write the report as one self-contained HTML page to this file: throughput, latency and each \
            version's share over time, the status mix, the gates.
            """)
    var html: String?
    @Option(help: "Event loops (default: usable CPUs).") var eventLoops: String?
    @Flag(help: "No progress line on standard error.") var quiet = false

    func run() throws {
        let plan = try LoadPlan(options: self)
        ShutdownSignals.block()
        let progress = ProgressPrinter(enabled: !quiet)
        var signalled = false
        let execution = LoadExecution(plan: plan, progress: progress, releasesLoops: false) { timeout in
            guard case let .signal(signal)? = ShutdownSignals.wait(timeout: timeout) else { return false }
            // A second signal ends loadgen at once, without the summary.
            if signalled { Glibc._exit(128 + signal) }
            signalled = true
            return true
        }
        switch execution.run() {
        case let .targetsNotReady(patience):
            progress.line("loadgen: targets not ready within \(LoadPlan.format(patience.inSeconds)) s")
            Glibc.exit(1)
        case let .finished(report):
            print(report.text)
            var files: [(path: String, bytes: [UInt8])] = []
            if let path = plan.jsonPath { files.append((path, report.json.serializedBytes + [UInt8(ascii: "\n")])) }
            if let path = plan.htmlPath { files.append((path, Array(HTMLReport(report: report).html.utf8))) }
            for file in files where !Self.write(file.bytes, to: file.path) {
                progress.line("loadgen: cannot write \(file.path)")
                Glibc.exit(2)
            }
            Glibc.exit(report.exitStatus)
        }
    }

    private static func write(_ bytes: [UInt8], to path: String) -> Bool {
        guard let file = fopen(path, "wb") else { return false }
        defer { fclose(file) }
        return fwrite(bytes, 1, bytes.count, file) == bytes.count
    }
}
