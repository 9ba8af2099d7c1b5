import Logging
import SkalarRuntime

/// One event loop's connections to the server: at most `poolSize`, each carrying up to `pipelineDepth`
/// segments at once, opened when a batch had to wait for one and then kept. A batch goes to the
/// connection with the fewest in flight; when all are full it waits in line, within its deadline. When
/// room comes, the oldest waiting batch goes out together with the others of its kind that wait (up to
/// `maximumMerge`), as one segment: under load, one round trip and, for writes, one commit serve many
/// requests (group commit), and without load nothing waits for company.
///
/// When no connection can be made, the pool is in an outage: batches fail at once with the reason, and
/// one connection is tried again after a back-off (doubling to `maximumBackoff`, with jitter), until
/// one succeeds. A broken connection is replaced at once. The client counts the pools in an outage, so
/// that readiness waits for every loop's pool, not just the one that answers the probe. Loop-local.
final class PostgresPool: PostgresConnectionOwner {
    static let initialBackoff = Duration.milliseconds(100)
    static let maximumBackoff = Duration.seconds(1)
    /// A batch answered this recently shows the server is there; readiness needs no query of its own.
    static let recentAnswer = Duration.seconds(1)
    /// The most batches one segment carries.
    static let maximumMerge = 64

    private let loop: EventLoop
    private let client: PostgresClient
    private var connections: [PostgresConnection] = []
    /// Connections whose host names are being looked up, before they start.
    private var lookingUp = 0
    /// Batches waiting for room on a connection, oldest first.
    private var waiting: [PostgresBatch] = []
    /// Why the last attempt to connect failed, while no connection is ready.
    private var outage: PostgresError?
    private var backoff = initialBackoff
    /// No new connection is tried before this (monotonic nanoseconds) after one failed.
    private var nextAttempt: UInt64 = 0
    private var retryTimer: LoopTimer?
    private var lastAnswer: UInt64 = 0
    private var published = PoolCounts()

    init(loop: EventLoop, client: PostgresClient) {
        self.loop = loop
        self.client = client
    }

    /// Runs `commands` as one batch within `deadline`, counted from now: the wait for a connection,
    /// the connection's set-up and the server's work all spend it.
    func run(
        _ commands: [PostgresCommand], kind: PostgresStatement.Kind?, deadline: Duration
    ) async -> Result<[PostgresResult], PostgresError> {
        await withCheckedContinuation { continuation in
            let batch = PostgresBatch(commands, kind: kind) { continuation.resume(returning: $0) }
            submit(batch, deadline: deadline)
        }
    }

    /// Nil while the server answers: a batch came back within the last second, or a trivial query
    /// within `budget`; otherwise why not.
    func readinessProblem(budget: Duration) async -> String? {
        if let outage, readyCount == 0 { return outage.description }
        let elsewhere = client.poolsInOutage.load(ordering: .relaxed)
        if elsewhere > 0 { return "database unavailable from \(elsewhere) event loop(s)" }
        if lastAnswer != 0 && .elapsed(since: lastAnswer) < Self.recentAnswer { return nil }
        switch await run([.query("SELECT 1", [])], kind: .read, deadline: budget) {
        case .success: return nil
        case let .failure(error): return error.description
        }
    }

    private func submit(_ batch: PostgresBatch, deadline: Duration) {
        if let outage, connections.isEmpty, lookingUp == 0 {
            batch.answer(.failure(outage))
            return
        }
        batch.startDeadline(deadline, on: loop) { [unowned self] batch in expired(batch) }
        if let connection = roomiest() {
            // Behind another batch on a busy connection: one more connection would have taken it at once.
            let queuedBehind = connection.inFlightCount > 0
            connection.send([batch])
            if queuedBehind { grow(wanted: 1) }
        } else {
            waiting.append(batch)
            grow(wanted: waiting.count)
        }
        publish()
    }

    private func expired(_ batch: PostgresBatch) {
        if let connection = batch.connection {
            connection.batchAbandoned()
        } else {
            waiting.removeAll { $0 === batch }
            publish()
        }
    }

    /// The ready connection with the fewest batches in flight, if it has room for one more.
    private func roomiest() -> PostgresConnection? {
        var best: PostgresConnection?
        for connection in connections where connection.state == .ready {
            if connection.inFlightCount < (best?.inFlightCount ?? client.options.pipelineDepth) {
                best = connection
                if connection.inFlightCount == 0 { break }
            }
        }
        return best
    }

    private var readyCount: Int { connections.count { $0.state == .ready } }

    /// Opens connections until `wanted` are on their way, up to the pool's size; not during an outage or
    /// a failed attempt's back-off. A pool grows only when a batch had to wait.
    private func grow(wanted: Int) {
        var opening = lookingUp + connections.count { $0.state == .connecting || $0.state == .settingUp }
        while opening < wanted && connections.count + lookingUp < client.options.poolSize && outage == nil
            && MonotonicClock.nanoseconds() >= nextAttempt
        {
            open()
            opening += 1
        }
    }

    /// Starts a connection, after looking up its host names when the string has any.
    private func open() {
        guard let hostAddresses = client.hostAddresses else {
            connections.append(connection(with: []))
            return
        }
        lookingUp += 1
        hostAddresses.resolve(on: loop) { [weak self] result in
            guard let self else { return }
            lookingUp -= 1
            switch result {
            case let .success(addresses): connections.append(connection(with: addresses))
            case let .failure(error): attemptFailed(error)
            }
        }
    }

    private func connection(with addresses: [(String, String)]) -> PostgresConnection {
        PostgresConnection(
            loop: loop, owner: self, parameters: client.connectionParameters + addresses, setup: client.setup,
            connectTimeout: client.options.connectTimeout, stallGrace: client.options.stallGrace)
    }

    /// Sends waiting batches while a connection has room: the oldest, with the others of its kind.
    private func drain() {
        while !waiting.isEmpty, let connection = roomiest() {
            let first = waiting.removeFirst()
            var segment = [first]
            if let kind = first.kind, !first.alone {
                var kept: [PostgresBatch] = []
                for batch in waiting {
                    if segment.count < Self.maximumMerge && batch.kind == kind && !batch.alone {
                        segment.append(batch)
                    } else {
                        kept.append(batch)
                    }
                }
                waiting = kept
            }
            connection.send(segment)
        }
    }

    // MARK: PostgresConnectionOwner

    func connectionIsReady(_ connection: PostgresConnection) {
        if let outage {
            client.logger.notice(
                "database connection restored",
                metadata: ["database": "\(client.connectionString.summary)", "was": "\(outage)"])
            client.poolsInOutage.subtract(1, ordering: .relaxed)
        }
        outage = nil
        backoff = Self.initialBackoff
        nextAttempt = 0
        retryTimer = nil
        drain()
        grow(wanted: waiting.count)
        publish()
    }

    func connection(_ connection: PostgresConnection, finished segment: PostgresSegment, resend: [PostgresBatch]) {
        lastAnswer = MonotonicClock.nanoseconds()
        for batch in resend {
            batch.reset()
            batch.alone = true
        }
        waiting.insert(contentsOf: resend, at: 0)
        drain()
        publish()
    }

    func connectionClosed(_ connection: PostgresConnection, error: PostgresError, wasReady: Bool) {
        connections.removeAll { $0 === connection }
        if wasReady {
            client.logger.warning(
                "database connection lost",
                metadata: ["database": "\(client.connectionString.summary)", "error": "\(error)"])
            if connections.isEmpty && lookingUp == 0 { open() } else { grow(wanted: waiting.count) }
        } else {
            attemptFailed(error)
        }
        publish()
    }

    /// A connection could not be made. With none left, that is an outage; while others work (the
    /// server's connection limit, say), the pool stays as it is for a back-off.
    private func attemptFailed(_ error: PostgresError) {
        if connections.isEmpty && lookingUp == 0 {
            enterOutage(error)
        } else {
            nextAttempt = MonotonicClock.nanoseconds() + UInt64(backoff.wholeMilliseconds) * 1_000_000
        }
    }

    private func enterOutage(_ error: PostgresError) {
        if outage?.description != error.description {
            client.logger.error(
                "database connection failed; retrying",
                metadata: ["database": "\(client.connectionString.summary)", "error": "\(error)"])
        }
        if outage == nil { client.poolsInOutage.add(1, ordering: .relaxed) }
        outage = error
        let failed = waiting
        waiting = []
        for batch in failed { batch.answer(.failure(error)) }
        let timer = LoopTimer(on: loop) { [unowned self] in
            retryTimer = nil
            if connections.isEmpty && lookingUp == 0 { open() }
        }
        // Jitter spreads the retries of many loops and replicas after a server restart.
        let jittered = backoff.wholeMilliseconds / 2 + Int64.random(in: 0...max(1, backoff.wholeMilliseconds / 2))
        timer.schedule(after: .milliseconds(jittered))
        retryTimer = timer
        backoff = min(backoff * 2, Self.maximumBackoff)
    }

    /// Reports the change in idle and used connections and waiting batches to the client's gauges.
    private func publish() {
        guard let gauges = client.gauges else { return }
        var counts = PoolCounts(pending: waiting.count)
        for connection in connections where connection.state == .ready {
            if connection.inFlightCount == 0 { counts.idle += 1 } else { counts.used += 1 }
        }
        guard counts != published else { return }
        gauges.adjust(counts.idle - published.idle, counts.used - published.used, counts.pending - published.pending)
        published = counts
    }

    deinit {
        client.gauges?.adjust(-published.idle, -published.used, -published.pending)
        if outage != nil { client.poolsInOutage.subtract(1, ordering: .relaxed) }
    }
}

private struct PoolCounts: Equatable {
    var idle = 0
    var used = 0
    var pending = 0
}
