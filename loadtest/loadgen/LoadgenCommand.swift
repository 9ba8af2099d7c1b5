import ArgumentParser
import Glibc
import HTTPTypes
import SkalarRuntime

/// `loadgen`: puts traffic on Skalar and tells what happened, by version.
struct LoadgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Load generator for Skalar: latency percentiles, status and error counts, and which version answered.",
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

    @Argument(help: "Base URLs (http://host[:port][/path]); several are used in turn. A path is the request path when no --mix is given.")
    var targets: [String] = []
    @Option(help: "Connections per target; in a closed loop also the number of concurrent requests (default 10).") var connections: String?
    @Option(help: "Open loop at this many requests per second (constant shape).") var rate: String?
    @Option(help: "Open-loop shape: constant[:R], ramp:FROM:TO:TIME, steps:R1,R2,...:TIME, spike:BASE:PEAK:AT:LENGTH.") var shape: String?
    @Option(help: "Stop after this long, such as 30s or 5m (default 30s unless --requests is given).") var duration: String?
    @Option(help: "Stop after this many requests.") var requests: String?
    @Option(help: "Weighted built-in scenarios: page (GET /), list (GET /api/entries), post (POST /api/entries), e.g. page=1,list=8,post=1.") var mix: String?
    @Option(help: "A JSON file of scenarios: {\"scenarios\":[{\"method\",\"path\",\"weight\",\"body\"}]}.") var mixFile: String?
    @Option(help: "Host header to send, for host-based routing at a gateway.") var host: String?
    @Option(name: [.short, .customLong("header")], help: "An extra request header, \"Name: value\"; repeatable.") var headers: [String] = []
    @Option(help: "Per-request timeout, connect included (default 10s).") var timeout: String?
    @Option(help: "Before starting, wait up to this long for each target to answer 2xx (e.g. 120s).") var waitReady: String?
    @Option(help: "Gate: largest share of failed requests (transport errors and statuses >= 400), 0 to 1.") var maxErrorRate: String?
    @Option(help: "Gate: largest p99 latency, such as 250ms.") var maxP99: String?
    @Option(help: "Gate: expected split of --split-header values in percent, e.g. v1=90,v2=10.") var expectSplit: String?
    @Option(help: "Allowed deviation of each split share, in percentage points (default 3).") var splitTolerance: String?
    @Option(help: "Header whose values --expect-split checks (default X-App-Version).") var splitHeader: String?
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Option(help: "Event loops (default: usable CPUs).") var eventLoops: String?
    @Flag(help: "No progress line on standard error.") var quiet = false

    func run() throws {
        let plan = try makePlan()
        ShutdownSignals.block()
        let runner = LoadRunner(plan: plan)
        let progress = ProgressPrinter(enabled: !quiet)

        if let waitSeconds = plan.waitReadySeconds {
            let ready = Blocking.wait { await runner.waitUntilReady(seconds: waitSeconds) }
            if !ready {
                progress.line("loadgen: targets not ready within \(LoadPlan.format(waitSeconds)) s")
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
            let elapsed = Double(runner.elapsedNanos) / 1e9
            if elapsed - lastProgress >= 1 {
                lastProgress = elapsed
                progress.report(elapsed: elapsed, runner: runner)
            }
            if drainDeadline == nil, runner.isStopping {
                drainDeadline = MonotonicClock.nanoseconds() + UInt64(plan.timeoutMilliseconds) * 1_000_000 + 500_000_000
            }
            if let drainDeadline, MonotonicClock.nanoseconds() > drainDeadline { break }
        }
        let tally = runner.stats.reduce(into: Tally()) { $0.add($1.total) }
        let report = Report(plan: plan, tally: tally, seconds: Double(runner.elapsedNanos) / 1e9, unfinished: runner.requestsInFlight, interrupted: interrupted)
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

    private func makePlan() throws -> LoadPlan {
        let reader = ConfigurationReader()
        func raw(_ flag: String?, _ name: String) -> String? { reader.raw(flag, "LOADGEN_" + name) }
        func seconds(_ flag: String?, _ name: String) throws -> Double? {
            guard let text = raw(flag, name) else { return nil }
            guard let value = DurationText.seconds(text), value > 0 else {
                throw ConfigurationError(variable: "--\(name.lowercased().replacingUnderscores()) (LOADGEN_\(name))", value: text, accepted: "a duration such as 250ms, 30s or 5m")
            }
            return value
        }
        func positiveNumber(_ flag: String?, _ name: String) throws -> Double? {
            guard let text = raw(flag, name) else { return nil }
            guard let value = Double(text), value >= 0, value.isFinite else {
                throw ConfigurationError(variable: "--\(name.lowercased().replacingUnderscores()) (LOADGEN_\(name))", value: text, accepted: "a number of at least 0")
            }
            return value
        }

        let targetTexts = targets.isEmpty ? (reader.raw(nil, "LOADGEN_TARGETS").map { $0.split(separator: " ").map(String.init) } ?? []) : targets
        guard !targetTexts.isEmpty else { throw LoadgenError.usage("give at least one target URL (or LOADGEN_TARGETS)") }
        var parsedTargets: [LoadPlan.Target] = []
        var targetPath: String?
        for text in targetTexts {
            let withoutScheme = text.hasPrefix("http://") ? String(text.dropFirst(7)) : text
            let slash = withoutScheme.firstIndex(of: "/")
            let authority = slash.map { String(withoutScheme[..<$0]) } ?? withoutScheme
            guard let endpoint = HTTPEndpoint(url: "http://" + authority), text.hasPrefix("http://") else {
                throw LoadgenError.usage("invalid target \"\(text)\": expected http://host[:port][/path]")
            }
            if let slash, withoutScheme[slash...] != "/" { targetPath = String(withoutScheme[slash...]) }
            parsedTargets.append(LoadPlan.Target(endpoint: endpoint, base: "http://" + authority))
        }

        var scenarios: [Scenario]
        if let path = raw(mixFile, "MIX_FILE") {
            guard let bytes = Self.read(path) else { throw LoadgenError.usage("cannot read the mix file \(path)") }
            scenarios = try Scenario.parseMixFile(bytes)
        } else if let text = raw(mix, "MIX") {
            guard let parsed = Scenario.parseMix(text) else {
                throw LoadgenError.usage("invalid --mix \"\(text)\": expected names page, list or post with weights, e.g. page=1,list=8")
            }
            scenarios = parsed
        } else if let targetPath {
            scenarios = [Scenario(name: "GET \(targetPath)", method: .get, path: targetPath, weight: 1, body: .none)]
        } else {
            scenarios = [Scenario.named("page", weight: 1)!]
        }

        let rateValue = try positiveNumber(rate, "RATE")
        let mode: LoadPlan.Mode
        if let shapeText = raw(shape, "SHAPE") {
            guard let parsed = LoadShape.parse(shapeText, rate: rateValue) else {
                throw LoadgenError.usage("invalid --shape \"\(shapeText)\": expected constant[:R], ramp:FROM:TO:TIME, steps:R1,R2,...:TIME or spike:BASE:PEAK:AT:LENGTH")
            }
            mode = .open(parsed)
        } else if let rateValue {
            guard rateValue > 0 else { throw LoadgenError.usage("--rate must be above 0") }
            mode = .open(.constant(rate: rateValue))
        } else {
            mode = .closed
        }

        let requestLimit = try raw(requests, "REQUESTS").map { text -> Int in
            guard let value = Int(text), value > 0 else { throw LoadgenError.usage("invalid --requests \"\(text)\": expected a whole number above 0") }
            return value
        }
        var durationSeconds = try seconds(duration, "DURATION")
        if durationSeconds == nil && requestLimit == nil { durationSeconds = 30 }

        var headerFields = HTTPFields()
        for line in headers + (reader.raw(nil, "LOADGEN_HEADERS").map { $0.split(separator: "\n").map(String.init) } ?? []) {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let name = HTTPField.Name(String(parts[0]).trimmedSpaces()) else {
                throw LoadgenError.usage("invalid header \"\(line)\": expected \"Name: value\"")
            }
            headerFields[name] = String(parts[1]).trimmedSpaces()
        }
        if let hostText = raw(host, "HOST") { headerFields[HTTPField.Name("Host")!] = hostText }

        var gates = Gates()
        gates.maxErrorRate = try positiveNumber(maxErrorRate, "MAX_ERROR_RATE")
        if let limit = gates.maxErrorRate, limit > 1 { throw LoadgenError.usage("--max-error-rate is a share from 0 to 1 (0.01 is 1%)") }
        gates.maxP99Milliseconds = try seconds(maxP99, "MAX_P99").map { $0 * 1000 }
        if let text = raw(expectSplit, "EXPECT_SPLIT") {
            guard let split = Gates.parseSplit(text) else {
                throw LoadgenError.usage("invalid --expect-split \"\(text)\": expected version=percent pairs adding up to 100, e.g. v1=90,v2=10")
            }
            gates.expectedSplit = split
        }
        gates.splitTolerance = try positiveNumber(splitTolerance, "SPLIT_TOLERANCE") ?? 3
        gates.splitHeader = raw(splitHeader, "SPLIT_HEADER") ?? "X-App-Version"

        return LoadPlan(
            targets: parsedTargets, scenarios: scenarios, mode: mode,
            connections: try reader.integer(connections, "LOADGEN_CONNECTIONS", in: 1...10_000, default: 10),
            durationSeconds: durationSeconds, requestLimit: requestLimit,
            timeoutMilliseconds: Int((try seconds(timeout, "TIMEOUT") ?? 10) * 1000),
            headers: headerFields, waitReadySeconds: try seconds(waitReady, "WAIT_READY"), gates: gates,
            eventLoops: try reader.integer(eventLoops, "LOADGEN_EVENT_LOOPS", in: 1...64, default: UsableCPUs.count()),
            jsonPath: raw(json, "JSON"))
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            if bytes.count > 1 << 20 { return nil }
        }
        return bytes
    }

    private static func write(_ bytes: [UInt8], to path: String) -> Bool {
        guard let file = fopen(path, "wb") else { return false }
        defer { fclose(file) }
        return fwrite(bytes, 1, bytes.count, file) == bytes.count
    }
}

private extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
    func trimmedSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
