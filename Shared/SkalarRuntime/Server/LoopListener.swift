import Glibc
import HTTPTypes
import Logging
import Prometheus

/// One HTTP server on one event loop: accepts connections, turns each request an `HTTPConnection` has
/// read into a `Request`, runs the pipeline in a task that prefers the loop's executor, and writes the
/// `Response` back on the same thread.
///
/// All members are loop-local except the immutable ones; the type is Sendable only so that tasks on the
/// loop can hold it.
final class LoopListener: @unchecked Sendable {
    let loop: EventLoop
    private let pipeline: RequestPipeline
    private let state: ServiceState
    private let limits: ServerLimits
    private var heads: ResponseHeadWriter
    private var listener: ConnectionListener?
    private let requestMetrics: ServerRequestMetrics?
    private var inFlight = 0
    private var finished = false
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    private let acceptBackoff: AcceptBackoff

    init(loop: EventLoop, pipeline: RequestPipeline, state: ServiceState, limits: ServerLimits, version: String) {
        self.loop = loop
        self.pipeline = pipeline
        self.state = state
        self.limits = limits
        heads = ResponseHeadWriter(appVersion: version)
        requestMetrics = pipeline.makeRequestMetrics()
        acceptBackoff = AcceptBackoff(base: loop.base, logger: pipeline.logger, metrics: pipeline.metrics)
    }

    /// Binds a listening socket on this loop; returns the port it got. `reusePort` lets every loop bind
    /// the same port, and the kernel spreads new connections across them.
    func bind(address: SocketAddress, reusePort: Bool) -> Result<Int, SystemError> {
        let bound = ConnectionListener.bind(
            address, on: loop.base, reusePort: reusePort,
            onAccept: { [unowned self] in self.accept($0) },
            onError: { [unowned self] in self.acceptFailed($0) })
        return bound.map { listener in
            self.listener = listener
            return listener.port
        }
    }

    // MARK: Connections

    private func accept(_ descriptor: Int32) {
        acceptBackoff.succeeded()
        let connection = HTTPConnection(descriptor: descriptor, listener: self, base: loop.base, limits: limits)
        connections[ObjectIdentifier(connection)] = connection
    }

    private func acceptFailed(_ error: SystemError) {
        guard let listener else { return }
        acceptBackoff.failed(error, pausing: listener)
    }

    func connectionClosed(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    // MARK: Requests

    /// Runs the pipeline for a request `connection` has read, and sends its response there.
    func serve(_ head: RequestHead, body: [UInt8], on connection: HTTPConnection) {
        let start = MonotonicClock.nanoseconds()
        let id =
            head.headers[.requestID].flatMap { HeaderValues.isAcceptableRequestID($0) ? $0 : nil }
            ?? loop.requestIDs.makeID()
        let request = Request(
            method: head.method, path: head.path, query: head.query, headers: head.headers, body: body, id: id)
        inFlight += 1
        pipeline.metrics?.activeRequests.increment()
        // The task runs on this thread, inside the read callback, until the handler first suspends: a
        // handler that never does (the probes) answers without a trip through the loop's job queue.
        Task.immediate(executorPreference: loop) {
            let response = await self.pipeline.respond(
                to: request, on: self.loop, recordingIn: self.requestMetrics, startedAt: start)
            self.send(
                response, for: request, keepAlive: head.keepAlive, minorVersion: head.minorVersion, on: connection)
        }
    }

    private func send(
        _ response: Response, for request: Request, keepAlive: Bool, minorVersion: Int, on connection: HTTPConnection
    ) {
        precondition(loop.inEventLoop, "responses must be written on the loop that owns the connection")
        inFlight -= 1
        pipeline.metrics?.activeRequests.decrement()
        let close = !keepAlive || state.isShuttingDown || response.status == .contentTooLarge
        let connectionField = close ? "close" : minorVersion == 0 ? "keep-alive" : nil
        let head = heads.head(
            for: response, contentLength: response.body.count, requestID: request.id, connection: connectionField)
        let sendsBody = request.method != .head && !ResponseHeadWriter.hasNoContent(response.status)
        connection.respond(head: head, body: sendsBody ? response.body : [], close: close)
    }

    /// Answers a request that could not be read (malformed, too large, too slow) with the JSON error and
    /// the contract's headers, and closes the connection after it.
    func reject(_ error: HTTPError, on connection: HTTPConnection) {
        let response = error.response
        let head = heads.head(
            for: response, contentLength: response.body.count, requestID: loop.requestIDs.makeID(),
            connection: "close")
        connection.respond(head: head, body: response.body, close: true)
    }

    // MARK: Shutdown

    /// Closes the listening socket; connections already open keep being served.
    func stopAccepting() {
        listener = nil
        acceptBackoff.stop()
    }

    /// Once no handler runs and every response has left for the kernel, closes the remaining (idle
    /// keep-alive) connections. Returns whether that has happened.
    func finishIfIdle() -> Bool {
        if finished { return true }
        guard inFlight == 0, connections.values.allSatisfy(\.isQuiet) else { return false }
        for connection in Array(connections.values) { connection.close() }
        finished = true
        return true
    }
}
