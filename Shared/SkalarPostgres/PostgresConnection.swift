import CLibPQ
import SkalarRuntime

/// What a connection tells whoever holds it (a pool, or the one-off connection of the migrations). Every
/// call comes from one of the connection's events on its loop, never from inside a call into the
/// connection, so the owner may send or close from it.
protocol PostgresConnectionOwner: AnyObject {
    /// Connected and set up: batches may be sent.
    func connectionIsReady(_ connection: PostgresConnection)
    /// A segment's sync came back and its members were answered, except those it rolled back (`resend`,
    /// when it held several and one failed); the connection can take another.
    func connection(_ connection: PostgresConnection, finished segment: PostgresSegment, resend: [PostgresBatch])
    /// The connection is gone (it never connected, or it broke); its batches were answered with `error`.
    func connectionClosed(_ connection: PostgresConnection, error: PostgresError, wasReady: Bool)
}

/// One libpq connection on one event loop, driven by libpq's non-blocking calls and the loop's own events
/// on `PQsocket`: `PQconnectStartParams`/`PQconnectPoll` to connect, then pipeline mode, where segments
/// of batches are sent one after another without waiting (`PQsendQueryPrepared` …, `PQpipelineSync`,
/// `PQflush`) and their results read back in order (`PQconsumeInput`, `PQisBusy`, `PQgetResult`)
/// whenever the socket is readable. Nothing here blocks and nothing leaves the loop.
///
/// Loop-local. Releasing it closes it.
final class PostgresConnection {
    enum State {
        /// `PQconnectPoll` is running the start-up (TCP, TLS, authentication).
        case connecting
        /// Connected; the set-up batch (prepared statements, session settings) is in flight.
        case settingUp
        case ready
        case closed
    }

    private(set) var state = State.connecting
    private let loop: EventLoop
    private weak var owner: (any PostgresConnectionOwner)?
    private var connection: OpaquePointer?
    private var watch: DescriptorWatch?
    private var connectTimer: LoopTimer?
    /// Runs a failure found inside a call (a send the socket refused) from an event of its own, so that
    /// the owner never hears of it from inside its own call.
    private var deferredFailure: LoopTimer?
    private var failure: PostgresError?
    /// Segments sent whose sync has not come back, oldest first; the first one's results come next.
    private var inFlight: [PostgresSegment] = []
    /// Sends whose whole output the socket has not taken yet wait for it to turn writable.
    private var outputPending = false
    /// Armed while the oldest batch in flight is abandoned: the server cancels a statement past its
    /// `statement_timeout`, so a connection that still has not answered it after this is presumed dead.
    private var stallTimer: LoopTimer?
    private let stallGrace: Duration
    private let setup: [PostgresCommand]

    /// Starts connecting at once. `parameters` are libpq keywords and values, `dbname` holding the whole
    /// connection string (expanded by libpq); `setup` runs once connected, before the connection is ready.
    init(
        loop: EventLoop, owner: any PostgresConnectionOwner, parameters: [(String, String)],
        setup: [PostgresCommand], connectTimeout: Duration, stallGrace: Duration
    ) {
        self.loop = loop
        self.owner = owner
        self.setup = setup
        self.stallGrace = stallGrace
        deferredFailure = LoopTimer(on: loop) { [unowned self] in
            if let failure { close(because: failure) }
        }
        connection = withCStringArray(parameters.map(\.0), terminated: true) { keywords in
            withCStringArray(parameters.map(\.1), terminated: true) { values in
                PQconnectStartParams(keywords, values, 1)
            }
        }
        guard let connection, PQstatus(connection) != CONNECTION_BAD else {
            failSoon(.unavailable(errorMessage ?? "libpq could not start a connection"))
            return
        }
        PQsetNoticeProcessor(connection, dropNotice, nil)
        let timer = LoopTimer(on: loop) { [unowned self] in
            close(because: .unavailable("no connection within \(connectTimeout.wholeMilliseconds) ms"))
        }
        timer.schedule(after: connectTimeout)
        connectTimer = timer
        // libpq's rule for a fresh connection: act as if PQconnectPoll had asked to wait for writability.
        watchSocket(readable: false, writable: true, renew: true)
    }

    deinit {
        watch = nil
        if let connection { PQfinish(connection) }
    }

    /// Segments sent and not answered by the server yet, abandoned ones included: the connection's load.
    var inFlightCount: Int { inFlight.count }

    /// Sends `batches` as one segment behind those in flight. Call only when `ready`.
    func send(_ batches: [PostgresBatch]) {
        precondition(state == .ready, "a batch is sent on a ready connection")
        transmit(PostgresSegment(batches))
    }

    /// Closes the connection; batches in flight are answered with `error`, and the owner hears of it.
    func close(because error: PostgresError) {
        guard state != .closed else { return }
        let wasReady = state == .ready
        state = .closed
        connectTimer = nil
        stallTimer = nil
        deferredFailure = nil
        watch = nil
        if let connection { PQfinish(connection) }
        connection = nil
        let answered = inFlight
        inFlight = []
        for segment in answered { segment.fail(error) }
        owner?.connectionClosed(self, error: error, wasReady: wasReady)
    }

    /// A batch in flight here passed its deadline.
    func batchAbandoned() {
        armStallTimerIfNeeded()
    }

    // MARK: Connecting

    private func pollConnect() {
        guard let connection else { return }
        switch PQconnectPoll(connection) {
        case PGRES_POLLING_READING:
            watchSocket(readable: true, writable: false, renew: true)
        case PGRES_POLLING_WRITING:
            watchSocket(readable: false, writable: true, renew: true)
        case PGRES_POLLING_OK:
            connected()
        default:
            close(because: .unavailable(errorMessage ?? "connection failed"))
        }
    }

    private func connected() {
        guard let connection, PQsetnonblocking(connection, 1) == 0, PQenterPipelineMode(connection) == 1 else {
            close(because: .unavailable(errorMessage ?? "libpq refused non-blocking pipeline mode"))
            return
        }
        watchSocket(readable: true, writable: false, renew: true)
        state = .settingUp
        if setup.isEmpty {
            becomeReady()
            return
        }
        transmit(
            PostgresSegment([
                PostgresBatch(setup) { [unowned self] result in
                    if case let .failure(error) = result {
                        failSoon(error)
                    } else {
                        becomeReady()
                    }
                }
            ]))
    }

    private func becomeReady() {
        guard state == .settingUp else { return }
        state = .ready
        connectTimer = nil
        owner?.connectionIsReady(self)
    }

    // MARK: Sending

    private func transmit(_ segment: PostgresSegment) {
        inFlight.append(segment)
        for batch in segment.members { batch.connection = self }
        guard let connection, failure == nil else { return }
        for batch in segment.members {
            for command in batch.commands {
                guard queue(command, on: connection) else {
                    failSoon(.connectionLost(errorMessage ?? "libpq could not queue the statement"))
                    return
                }
            }
        }
        guard PQpipelineSync(connection) == 1 else {
            failSoon(.connectionLost(errorMessage ?? "libpq could not queue the sync"))
            return
        }
        flush()
    }

    private func queue(_ command: PostgresCommand, on connection: OpaquePointer) -> Bool {
        switch command {
        case let .prepare(statement):
            return PQsendPrepare(connection, statement.name, statement.sql, 0, nil) == 1
        case let .execute(statement, parameters):
            return withCStringArray(parameters) { values in
                PQsendQueryPrepared(connection, statement.name, Int32(parameters.count), values, nil, nil, 0) == 1
            }
        case let .query(sql, parameters):
            return withCStringArray(parameters) { values in
                PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0) == 1
            }
        }
    }

    /// Hands libpq's output to the socket; what the socket does not take waits for writability. The
    /// socket stays watched for reading meanwhile: a server blocked on sending results would not read.
    private func flush() {
        guard let connection else { return }
        switch PQflush(connection) {
        case 0:
            if outputPending {
                outputPending = false
                watchSocket(readable: true, writable: false)
            }
        case 1:
            if !outputPending {
                outputPending = true
                watchSocket(readable: true, writable: true)
            }
        default:
            failSoon(.connectionLost(errorMessage ?? "sending failed"))
        }
    }

    // MARK: Reading

    private func readable() {
        switch state {
        case .connecting: pollConnect()
        case .settingUp, .ready: readResults()
        case .closed: break
        }
    }

    private func writable() {
        switch state {
        case .connecting: pollConnect()
        case .settingUp, .ready: flush()
        case .closed: break
        }
    }

    private func readResults() {
        guard let connection, PQconsumeInput(connection) == 1 else {
            close(because: .connectionLost(errorMessage ?? "the server closed the connection"))
            return
        }
        // PQgetResult returns NULL once after each command's results; a second NULL in a row means libpq
        // has nothing more queued, so the loop cannot spin.
        var nullsInARow = 0
        while !inFlight.isEmpty && state != .closed && PQisBusy(connection) == 0 {
            guard let result = PQgetResult(connection) else {
                nullsInARow += 1
                if nullsInARow > 1 { break }
                continue
            }
            nullsInARow = 0
            take(result)
            PQclear(result)
        }
        if state != .closed && PQstatus(connection) == CONNECTION_BAD {
            close(because: .connectionLost(errorMessage ?? "the server closed the connection"))
        }
    }

    private func take(_ result: OpaquePointer) {
        let segment = inFlight[0]
        switch PQresultStatus(result) {
        case PGRES_PIPELINE_SYNC:
            inFlight.removeFirst()
            let resend = segment.finish()
            stallTimer = nil
            armStallTimerIfNeeded()
            owner?.connection(self, finished: segment, resend: resend)
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            segment.take(.success(segment.isAbandoned ? nil : PostgresResult(copying: result)))
        case PGRES_PIPELINE_ABORTED:
            segment.take(.success(nil))  // skipped after an earlier command failed; that failure answers
        default:
            segment.take(.failure(Self.serverError(result)))
        }
    }

    private func armStallTimerIfNeeded() {
        guard stallTimer == nil, let oldest = inFlight.first, oldest.isAbandoned else { return }
        let timer = LoopTimer(on: loop) { [unowned self] in
            close(because: .connectionLost("no answer \(stallGrace.wholeMilliseconds) ms after a deadline passed"))
        }
        timer.schedule(after: stallGrace)
        stallTimer = timer
    }

    private static func serverError(_ result: OpaquePointer) -> PostgresError {
        let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "XX000"
        let message =
            PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            ?? String(cString: PQresultErrorMessage(result)).trimmingNewlines()
        return .server(sqlState: sqlState, message: message)
    }

    // MARK: Plumbing

    /// Watches libpq's socket. While connecting, libpq may close it and open another (the next address
    /// or host), possibly under the same number, so each step watches it `renew`ed.
    private func watchSocket(readable: Bool, writable: Bool, renew: Bool = false) {
        guard let connection else { return }
        let descriptor = PQsocket(connection)
        if renew || watch?.descriptor != descriptor {
            watch = nil
            guard descriptor >= 0 else { return }
            watch = DescriptorWatch(
                descriptor: descriptor, on: loop, readable: { [unowned self] in self.readable() },
                writable: { [unowned self] in self.writable() })
        }
        watch?.watch(readable: readable, writable: writable)
    }

    private func failSoon(_ error: PostgresError) {
        guard failure == nil else { return }
        failure = error
        deferredFailure?.schedule(after: .zero)
    }

    /// libpq's last message for this connection, one line per line it wrote, without the final newline.
    private var errorMessage: String? {
        guard let connection, let message = PQerrorMessage(connection) else { return nil }
        let text = String(cString: message).trimmingNewlines()
        return text.isEmpty ? nil : text
    }
}

/// libpq prints notices (`relation … already exists, skipping`) on standard error unless told otherwise;
/// the services' output is JSON lines only.
private func dropNotice(_ argument: UnsafeMutableRawPointer?, _ message: UnsafePointer<CChar>?) {}
