import HTTPTypes

/// One HTTP server on one event loop: turns each incoming exchange into a `Request`, runs the pipeline in
/// a task that prefers the loop's executor, and writes the `Response` back on the same thread.
///
/// All members are loop-local except the immutable ones; the type is Sendable only so that tasks on the
/// loop can hold it.
final class LoopListener: @unchecked Sendable {
    let loop: EventLoop
    private let pipeline: RequestPipeline
    private let state: ServiceState
    private let version: String
    private var server: EvHTTPServer!
    private let requestMetrics: ServerRequestMetrics?
    private var inFlight = 0
    private var finished = false
    /// Connections that carried a request, so shutdown can wait until their responses are flushed.
    private var connections = Set<ServerConnection>()

    init(loop: EventLoop, pipeline: RequestPipeline, state: ServiceState, limits: ServerLimits, version: String) {
        self.loop = loop
        self.version = version
        self.pipeline = pipeline
        self.state = state
        requestMetrics = pipeline.makeRequestMetrics()
        server = EvHTTPServer(
            base: loop.base, maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes,
            idleTimeout: limits.idleTimeout,
            onRequest: { [unowned self] in self.accept($0) },
            onConnectionClosed: { [unowned self] in self.connections.remove($0) })
    }

    /// Binds a listening socket on this loop; returns the port it got. `reusePort` lets every loop bind
    /// the same port, and the kernel spreads new connections across them.
    func bind(address: SocketAddress, reusePort: Bool) -> Result<Int, SystemError> {
        server.bind(address, reusePort: reusePort)
    }

    // MARK: Requests

    private func accept(_ exchange: ServerExchange) {
        let start = MonotonicClock.nanoseconds()
        if let connection = exchange.connection, connections.insert(connection).inserted {
            server.watchClose(of: connection)
        }
        let request = makeRequest(exchange)
        inFlight += 1
        pipeline.metrics?.activeRequests.increment()
        // The task runs on this thread, inside evhttp's callback, until the handler first suspends: a handler
        // that never does (the probes) answers without a trip through the loop's job queue.
        Task.immediate(executorPreference: loop) {
            let response = await self.pipeline.respond(
                to: request, on: self.loop, recordingIn: self.requestMetrics, startedAt: start)
            self.send(response, to: exchange, for: request)
        }
    }

    private func makeRequest(_ exchange: ServerExchange) -> Request {
        let (path, query) = exchange.target
        let headers = exchange.headers
        let id =
            headers[.requestID].flatMap { HeaderValues.isAcceptableRequestID($0) ? $0 : nil }
            ?? loop.requestIDs.makeID()
        return Request(method: exchange.method, path: path, query: query, headers: headers, body: exchange.body, id: id)
    }

    private func send(_ response: Response, to exchange: ServerExchange, for request: Request) {
        precondition(loop.inEventLoop, "responses must be written on the loop that owns the connection")
        inFlight -= 1
        pipeline.metrics?.activeRequests.decrement()
        let headers = exchange.responseHeaders
        headers.add(response.headers)
        headers.add(HTTPField.Name.appVersion.rawName, version)
        headers.add(HTTPField.Name.requestID.rawName, request.id)
        if state.isShuttingDown || response.status == .contentTooLarge {
            headers.add("Connection", "close")
        }
        if request.method == .head {
            // evhttp would send a HEAD response's body; only its length may go out.
            headers.add("Content-Length", String(response.body.count))
        } else {
            exchange.responseBody.append(response.body)
        }
        exchange.reply(status: response.status.code, reason: response.status.reasonPhrase)
    }

    // MARK: Shutdown

    /// Closes the listening socket; connections already open keep being served.
    func stopAccepting() {
        server.stopAccepting()
    }

    /// Once no handler runs and every response has left for the kernel, frees the server, which closes
    /// the remaining (idle keep-alive) connections. Returns whether that has happened.
    func finishIfIdle() -> Bool {
        if finished { return true }
        guard inFlight == 0, connections.allSatisfy({ $0.unsentBytes == 0 }) else { return false }
        server.free()
        connections.removeAll()
        finished = true
        return true
    }
}
