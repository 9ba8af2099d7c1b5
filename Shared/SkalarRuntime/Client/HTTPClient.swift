import CLibEvent
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
    public let timeoutMilliseconds: Int
    /// Whether a connection-level failure of a repeatable request is retried once. A load generator turns
    /// this off: it must count every failure, not hide it.
    public let retriesConnectionFailures: Bool
    private let limits: Limits
    private let loops: EventLoopGroup
    private let metrics: ServiceMetrics?

    public init(
        endpoint: HTTPEndpoint, timeoutMilliseconds: Int, loops: EventLoopGroup, metrics: ServiceMetrics?,
        limits: Limits = Limits(), retriesConnectionFailures: Bool = true
    ) {
        self.endpoint = endpoint
        self.timeoutMilliseconds = timeoutMilliseconds
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

    /// The call and its metric, both on `loop`, whose metric cache is only touched there.
    private func performAndRecord(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields, body: [UInt8], on loop: EventLoop,
        start: UInt64
    ) async -> Result<ClientResponse, HTTPClientError> {
        let result = await perform(method, target, headers: headers, body: body, on: loop, start: start)
        record(method: method, result: result, start: start, loop: loop)
        return result
    }

    private func perform(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields, body: [UInt8], on loop: EventLoop,
        start: UInt64
    ) async -> Result<ClientResponse, HTTPClientError> {
        let pool = loop.local(ObjectIdentifier(self)) { ConnectionPool(loop: loop, endpoint: endpoint, limits: limits) }
        var headers = headers
        if headers[.hostHeader] == nil { headers[.hostHeader] = endpoint.hostHeader }
        let retryable = method.isIdempotent || headers[.idempotencyKey] != nil
        var attempt = 0
        while true {
            let elapsed = Int((MonotonicClock.nanoseconds() - start) / 1_000_000)
            let remaining = timeoutMilliseconds - elapsed
            guard remaining > 0 else { return .failure(.timeout) }
            guard let connection = await pool.acquire(waitingAtMost: remaining) else { return .failure(.poolExhausted) }
            do {
                let response = try await withCheckedThrowingContinuation { continuation in
                    ClientCall(continuation).start(
                        on: loop, connection: connection, method: method.evhttpCommand, target: target,
                        headers: headers, body: body, timeoutMilliseconds: remaining)
                }
                let closes = response.headers[.connection]?.lowercased().contains("close") ?? false
                pool.release(connection, reusable: !closes)
                return .success(response)
            } catch {
                pool.release(connection, reusable: false)
                let failure = error as? HTTPClientError ?? .connectionClosed
                if failure.isConnectionLevel, retryable, retriesConnectionFailures, attempt == 0 {
                    attempt += 1
                    continue
                }
                return .failure(failure)
            }
        }
    }

    private func record(method: HTTPRequest.Method, result: Result<ClientResponse, HTTPClientError>, start: UInt64, loop: EventLoop) {
        guard let metrics else { return }
        let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        switch result {
        case let .success(response):
            loop.metricCache.clientDuration(in: metrics, method: method, status: response.status).record(seconds)
        case let .failure(error):
            loop.metricCache.clientErrors(in: metrics, method: method, kind: error.kind).increment()
        }
    }
}

extension HTTPRequest.Method {
    /// RFC 9110's idempotent methods, which a client may repeat after a connection failure.
    var isIdempotent: Bool {
        switch self {
        case .get, .head, .put, .delete, .options, .trace: return true
        default: return false
        }
    }

    var evhttpCommand: evhttp_cmd_type {
        switch self {
        case .get: return EVHTTP_REQ_GET
        case .post: return EVHTTP_REQ_POST
        case .head: return EVHTTP_REQ_HEAD
        case .put: return EVHTTP_REQ_PUT
        case .delete: return EVHTTP_REQ_DELETE
        case .options: return EVHTTP_REQ_OPTIONS
        case .trace: return EVHTTP_REQ_TRACE
        case .connect: return EVHTTP_REQ_CONNECT
        default: return EVHTTP_REQ_PATCH
        }
    }
}

extension HTTPField.Name {
    /// HTTP/1.1's `Host`; swift-http-types models it as the request's authority instead.
    static let hostHeader = HTTPField.Name("Host")!
    /// Makes a POST safe to repeat: the backend answers a repeat with the first response.
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
