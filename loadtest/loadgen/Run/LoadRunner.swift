import HTTPTypes
import SkalarRuntime
import Synchronization

/// Drives the load on the event loops: closed-loop workers, or an open-loop schedule per loop, and
/// records every outcome in that loop's stats.
final class LoadRunner: Sendable {
    let plan: LoadPlan
    let loops: EventLoopGroup
    let stats: [LoopStats]
    private let clients: [HTTPClient]
    private let picker: ScenarioPicker
    private let tallyHeaders: [HTTPField.Name]
    private let splitHeader: HTTPField.Name
    private let issued = Atomic<Int>(0)
    private let inFlight = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let startNanos = Atomic<UInt64>(0)
    /// When the last request finished after the run stopped sending; 0 until then.
    private let endNanos = Atomic<UInt64>(0)

    init(plan: LoadPlan) {
        self.plan = plan
        loops = EventLoopGroup(count: plan.eventLoops)
        stats = loops.loops.map { _ in LoopStats() }
        var limits = HTTPClient.Limits()
        limits.maxConnectionsPerLoop = max(1, (plan.connections + plan.eventLoops - 1) / plan.eventLoops)
        limits.maxIdlePerLoop = limits.maxConnectionsPerLoop
        let loops = self.loops
        clients = plan.targets.map { target in
            HTTPClient(
                endpoint: target.endpoint, timeout: plan.timeout, loops: loops, metrics: nil,
                limits: limits, retriesConnectionFailures: false)
        }
        picker = ScenarioPicker(plan.scenarios)
        tallyHeaders = plan.tallyHeaders
        splitHeader = HTTPField.Name(plan.gates.splitHeader)!
        loops.start()
    }

    /// Stops the run's loops and frees them, with the connections and state the run's clients kept on
    /// them. Call once, from a thread that is none of the run's loops, when the run's report is taken. A
    /// request still in flight (its target stalled past the drain) keeps the loops: cutting it would leave
    /// its task suspended for good, a leak either way, and this one stays visible in the thread count.
    func shutdown() {
        stop()
        guard inFlight.load(ordering: .acquiring) == 0 else { return }
        loops.shutdown()
    }

    /// The time from the start of the load to its end: the moment the last request finished after the run
    /// stopped sending, or now while it runs. The report's rate divides by this, so it does not depend on
    /// when the main thread next looks.
    var elapsed: Duration {
        let start = startNanos.load(ordering: .relaxed)
        guard start != 0 else { return .zero }
        let end = endNanos.load(ordering: .sequentiallyConsistent)
        return end == 0 ? .elapsed(since: start) : .elapsed(since: start, until: end)
    }

    /// True once no more requests will be sent and none is in flight.
    var isFinished: Bool { stopping.load(ordering: .acquiring) && inFlight.load(ordering: .acquiring) == 0 }
    var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
    /// True once no more requests will be sent.
    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Stops sending; requests in flight still finish (within the request timeout).
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        if inFlight.load(ordering: .sequentiallyConsistent) == 0 { markEnd() }
    }

    /// Records the end of the load once; whichever of `stop()` and the last request sees the other comes second.
    private func markEnd() {
        _ = endNanos.compareExchange(
            expected: 0, desired: MonotonicClock.nanoseconds(), ordering: .sequentiallyConsistent)
    }

    /// Polls each target until it answers 2xx, or the time runs out.
    func waitUntilReady(within patience: Duration) async -> Bool {
        let start = MonotonicClock.nanoseconds()
        let probe = plan.scenarios.first { $0.method == .get }?.path ?? "/"
        for client in clients {
            while true {
                if let response = try? await client.send(.get, probe, headers: plan.headers),
                    (200..<300).contains(response.status)
                {
                    break
                }
                if .elapsed(since: start) > patience { return false }
                await loops.loops[0].sleep(for: .milliseconds(500))
            }
        }
        return true
    }

    func start() {
        startNanos.store(MonotonicClock.nanoseconds(), ordering: .relaxed)
        for loop in loops.loops {
            switch plan.mode {
            case .closed:
                let workers =
                    plan.connections / loops.loops.count + (loop.index < plan.connections % loops.loops.count ? 1 : 0)
                for _ in 0..<workers {
                    Task(executorPreference: loop) {
                        while let number = self.claim() {
                            await self.send(number, intendedAt: MonotonicClock.nanoseconds(), on: loop)
                        }
                    }
                }
            case let .open(shape):
                Task(executorPreference: loop) { await self.schedule(shape, on: loop) }
            }
        }
    }

    /// The next request number, or nil when the run is over (stopped, past its duration or its count).
    /// The request counts as in flight before the checks, so that a `stop()` on another loop cannot mark
    /// the end of the load while this request is still about to go out.
    private func claim() -> Int? {
        inFlight.add(1, ordering: .sequentiallyConsistent)
        guard !stopping.load(ordering: .sequentiallyConsistent) else { return refuse() }
        if let duration = plan.duration, elapsed >= duration {
            stop()
            return refuse()
        }
        let number = issued.add(1, ordering: .relaxed).oldValue
        if let limit = plan.requestLimit, number >= limit {
            stop()
            return refuse()
        }
        return number
    }

    private func refuse() -> Int? {
        finishOne()
        return nil
    }

    /// One claimed request is over; the last one after the run stopped marks the end of the load.
    private func finishOne() {
        if inFlight.subtract(1, ordering: .sequentiallyConsistent).newValue == 0,
            stopping.load(ordering: .sequentiallyConsistent)
        {
            markEnd()
        }
    }

    /// This loop's share of the open-loop schedule. Each request has an exact intended send time; a loop
    /// that falls behind sends late requests at once, and their latency still counts from the intended time,
    /// so a stall shows in the percentiles instead of hiding (no coordinated omission).
    private func schedule(_ shape: LoadShape, on loop: EventLoop) async {
        let share = 1.0 / Double(loops.loops.count)
        let start = startNanos.load(ordering: .relaxed)
        // Loops start a fraction of an interval apart, so their requests interleave.
        var dueSeconds = Double(loop.index) / Double(loops.loops.count) / max(shape.rate(at: 0) * share, 1)
        while !stopping.load(ordering: .relaxed) {
            let nowSeconds = Duration.elapsed(since: start).inSeconds
            while dueSeconds <= nowSeconds {
                let rate = shape.rate(at: dueSeconds) * share
                guard rate > 0 else {
                    dueSeconds += 0.001
                    continue
                }
                if let duration = plan.duration, dueSeconds >= duration.inSeconds {
                    stop()
                    return
                }
                guard let number = claim() else { return }
                let intended = start + UInt64(dueSeconds * 1e9)
                Task(executorPreference: loop) { await self.send(number, intendedAt: intended, on: loop) }
                dueSeconds += 1 / rate
            }
            await loop.sleep(for: .milliseconds(1))
        }
    }

    private func send(_ number: Int, intendedAt intended: UInt64, on loop: EventLoop) async {
        defer { finishOne() }
        let client = clients[number % clients.count]
        let scenario = plan.scenarios[picker.scenarioIndex(for: number)]
        var headers = plan.headers
        var body: [UInt8] = []
        switch scenario.body {
        case .none: break
        case .newEntry:
            headers[.contentType] = "application/json"
            headers[.idempotencyKey] = loop.makeUUID()
            body = Array(#"{"author":"loadgen","message":"Entry \#(number) from the Skalar load generator."}"#.utf8)
        case let .fixed(text):
            headers[.contentType] = headers[.contentType] ?? "application/json"
            body = Array(text.utf8)
        }
        let stats = self.stats[loop.index]
        do {
            let response = try await client.send(scenario.method, scenario.path, headers: headers, body: body)
            let micros = (MonotonicClock.nanoseconds() - intended) / 1000
            var versions: [(header: String, value: String)] = []
            for name in tallyHeaders {
                if let value = response.headers[name] { versions.append((name.rawName, value)) }
            }
            stats.record(
                status: response.status, latencyMicros: micros, versions: versions,
                splitValue: response.headers[splitHeader])
        } catch {
            // Waiting for a free connection past the timeout is, to the caller, a timeout.
            stats.record(error: error == .poolExhausted ? "timeout" : error.kind)
        }
    }
}
