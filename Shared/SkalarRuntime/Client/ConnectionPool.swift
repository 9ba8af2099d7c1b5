/// One event loop's keep-alive connections to one endpoint. Loop-local: only its loop touches it.
final class ConnectionPool {
    private let loop: EventLoop
    private let endpoint: HTTPEndpoint
    private let limits: HTTPClient.Limits
    private var idle: [EvHTTPConnection] = []
    private var busy = 0
    private let resolver: DNSResolver
    /// Calls waiting for a connection because the pool is at its bound, oldest first.
    private var waiters: [PoolWaiter] = []

    init(loop: EventLoop, endpoint: HTTPEndpoint, limits: HTTPClient.Limits) {
        self.loop = loop
        self.endpoint = endpoint
        self.limits = limits
        resolver = DNSResolver(base: loop.base)
    }

    deinit {
        // A call holds the pool until it has released its connection, so the connections left are idle
        // ones. They are closed while the loop held here keeps the base alive, and before the resolver goes.
        for connection in idle { connection.close() }
    }

    /// An idle connection (most recently used first) or a new one; at the bound, waits up to `patience`
    /// for one to be released. Nil when none came in time or one could not be made.
    func acquire(waitingAtMost patience: Duration) async -> EvHTTPConnection? {
        if let connection = idle.popLast() {
            busy += 1
            return connection
        }
        if busy < limits.maxConnectionsPerLoop { return makeConnection() }
        return await withCheckedContinuation { continuation in
            let waiter = PoolWaiter(pool: self, continuation: continuation)
            waiters.append(waiter)
            waiter.startTimer(patience, on: loop.base)
        }
    }

    /// Returns a connection after a call; a broken or unwanted one is closed instead. A waiting call gets
    /// the connection (or a fresh one in place of a broken one) at once.
    func release(_ connection: EvHTTPConnection, reusable: Bool) {
        busy -= 1
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            if reusable {
                busy += 1
                waiter.resolve(connection)
            } else {
                connection.close()
                waiter.resolve(makeConnection())
            }
            return
        }
        if reusable && idle.count < limits.maxIdlePerLoop {
            idle.append(connection)
        } else {
            connection.close()
        }
    }

    fileprivate func expire(_ waiter: PoolWaiter) {
        waiters.removeAll { $0 === waiter }
        waiter.resolve(nil)
    }

    private func makeConnection() -> EvHTTPConnection? {
        guard
            let connection = EvHTTPConnection(
                base: loop.base, resolver: resolver, host: endpoint.host, port: endpoint.port,
                maxResponseBytes: limits.maxResponseBytes, maxResponseHeaderBytes: limits.maxResponseHeaderBytes)
        else { return nil }
        busy += 1
        return connection
    }
}

/// A call waiting for a pooled connection, with a timer for its deadline.
private final class PoolWaiter {
    private unowned let pool: ConnectionPool
    private var continuation: CheckedContinuation<EvHTTPConnection?, Never>?
    private var timer: LoopEvent?

    init(pool: ConnectionPool, continuation: CheckedContinuation<EvHTTPConnection?, Never>) {
        self.pool = pool
        self.continuation = continuation
    }

    /// After `patience` the waiter leaves the pool's line empty-handed.
    func startTimer(_ patience: Duration, on base: EventBase) {
        let timer = LoopEvent.timer(on: base) { [unowned self] in pool.expire(self) }
        self.timer = timer
        timer.schedule(after: patience)
    }

    func resolve(_ connection: EvHTTPConnection?) {
        timer = nil
        continuation?.resume(returning: connection)
        continuation = nil
    }
}
