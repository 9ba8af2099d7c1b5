import HTTPTypes

/// An HTTP/1.1 client on the service's own event loops, for calls such as frontend → backend.
///
/// A call runs on the loop of the task that makes it (a handler's loop) with that loop's pool of
/// keep-alive connections, so it costs no thread hop and no lock. Each call has a deadline that covers
/// connecting, sending and reading. A call that fails at the connection level (refused, reset, a stale
/// keep-alive connection closed by the server) is retried once on a fresh connection if it is safe to
/// repeat: an idempotent method, or a request that carries an `Idempotency-Key`.
public final class HTTPClient: Sendable {
    public struct Limits: Sendable {
        public var maxConnectionsPerLoop = 64
        public var maxIdlePerLoop = 16
        public var maxResponseBytes = 8 << 20
        public var maxResponseHeaderBytes = 64 << 10
        public init() {}
    }

    public let endpoint: HTTPEndpoint
    /// The deadline of each call, connecting, waiting for a pooled connection and the one retry included.
    public let timeout: Duration
    /// Whether a connection-level failure of a repeatable request is retried once. A load generator turns
    /// this off: it must count every failure, not hide it.
    public let retriesConnectionFailures: Bool
    private let limits: Limits
    private let loops: EventLoopGroup
    private let metrics: ServiceMetrics?

    public init(
        endpoint: HTTPEndpoint, timeout: Duration, loops: EventLoopGroup, metrics: ServiceMetrics?,
        limits: Limits = Limits(), retriesConnectionFailures: Bool = true
    ) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.retriesConnectionFailures = retriesConnectionFailures
        self.loops = loops
        self.metrics = metrics
        self.limits = limits
    }

    /// Sends a request to `target` (path and query) and returns the complete response.
    public func send(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields = [:], body: [UInt8] = []
    ) async throws(HTTPClientError) -> ClientResponse {
        let loop = loops.preferredLoop()
        let start = MonotonicClock.nanoseconds()
        let result: Result<ClientResponse, HTTPClientError>
        if loop.inEventLoop {
            result = await performAndRecord(method, target, headers: headers, body: body, on: loop, start: start)
        } else {
            result = await withTaskExecutorPreference(loop) {
                await self.performAndRecord(method, target, headers: headers, body: body, on: loop, start: start)
            }
        }
        return try result.get()
    }

    /// The call and its metric, both on `loop`, whose state is only touched there.
    private func performAndRecord(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields, body: [UInt8], on loop: EventLoop,
        start: UInt64
    ) async -> Result<ClientResponse, HTTPClientError> {
        let state = loop.local(ObjectIdentifier(self)) {
            ClientLoopState(
                pool: ConnectionPool(loop: loop, endpoint: endpoint, limits: limits),
                metrics: metrics.map(ClientRequestMetrics.init(metrics:)))
        }
        let result = await perform(
            method, target, headers: headers, body: body, on: loop, pool: state.pool, start: start)
        if let metrics = state.metrics {
            switch result {
            case let .success(response):
                metrics.duration(method: method, status: response.status).record(MonotonicClock.secondsSince(start))
            case let .failure(error):
                metrics.errors(method: method, kind: error.kind).increment()
            }
        }
        return result
    }

    private func perform(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields, body: [UInt8], on loop: EventLoop,
        pool: ConnectionPool, start: UInt64
    ) async -> Result<ClientResponse, HTTPClientError> {
        var headers = headers
        if headers[.host] == nil { headers[.host] = endpoint.hostHeader }
        let retryable = method.isIdempotent || headers[.idempotencyKey] != nil
        // One deadline from the start of the call: the wait for a pooled connection, connecting, the
        // response and the one retry all spend the same time, so what is left is taken anew before each.
        func timeLeft() -> Duration { timeout - .elapsed(since: start) }
        var attempt = 0
        while true {
            let patience = timeLeft()
            guard patience > .zero else { return .failure(.timeout) }
            guard let connection = await pool.acquire(waitingAtMost: patience) else { return .failure(.poolExhausted) }
            let remaining = timeLeft()
            guard remaining > .zero else {
                // The wait took the whole deadline; the connection is as good as it was, for the next call.
                pool.release(connection, reusable: true)
                return .failure(.timeout)
            }
            let result = await ClientExchange.send(
                method, target, headers: headers, body: body, on: connection, base: loop.base, deadline: remaining)
            switch result {
            case let .success(response):
                let closes = response.headers[.connection]?.lowercased().contains("close") ?? false
                pool.release(connection, reusable: !closes)
                return .success(response)
            case let .failure(failure):
                pool.release(connection, reusable: false)
                if failure.isConnectionLevel, retryable, retriesConnectionFailures, attempt == 0 {
                    attempt += 1
                    continue
                }
                return .failure(failure)
            }
        }
    }
}

/// What one HTTP client keeps on one loop.
private final class ClientLoopState {
    let pool: ConnectionPool
    let metrics: ClientRequestMetrics?

    init(pool: ConnectionPool, metrics: ClientRequestMetrics?) {
        self.pool = pool
        self.metrics = metrics
    }
}
