import CLibEvent

/// One event loop's keep-alive connections to one endpoint. Loop-local: only its loop touches it.
final class ConnectionPool {
    private let loop: EventLoop
    private let endpoint: HTTPEndpoint
    private let limits: HTTPClient.Limits
    private var idle: [OpaquePointer] = []
    private var busy = 0
    /// Asynchronous DNS, so resolving a Service name such as `backend-service` (search domains from
    /// /etc/resolv.conf included) never blocks the loop.
    private let dns: OpaquePointer?

    init(loop: EventLoop, endpoint: HTTPEndpoint, limits: HTTPClient.Limits) {
        self.loop = loop
        self.endpoint = endpoint
        self.limits = limits
        dns = evdns_base_new(loop.base, EVDNS_BASE_INITIALIZE_NAMESERVERS)
    }

    /// Calls waiting for a connection because the pool is at its bound, oldest first.
    private var waiters: [PoolWaiter] = []

    /// An idle connection (most recently used first) or a new one; at the bound, waits up to
    /// `milliseconds` for one to be released. Nil when none came in time or one could not be made.
    func acquire(waitingAtMost milliseconds: Int) async -> OpaquePointer? {
        if let connection = idle.popLast() {
            busy += 1
            return connection
        }
        if busy < limits.maxConnectionsPerLoop { return makeConnection() }
        let handed = await withCheckedContinuation { continuation in
            let waiter = PoolWaiter(pool: self, continuation: continuation)
            waiters.append(waiter)
            waiter.startTimer(on: loop.base, milliseconds: milliseconds)
        }
        return handed?.handle
    }

    /// Returns a connection after a call; a broken or unwanted one is closed instead. A waiting call gets
    /// the connection (or a fresh one in place of a broken one) at once.
    func release(_ connection: OpaquePointer, reusable: Bool) {
        busy -= 1
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            if reusable {
                busy += 1
                waiter.resolve(connection)
            } else {
                evhttp_connection_free(connection)
                waiter.resolve(makeConnection())
            }
            return
        }
        if reusable && idle.count < limits.maxIdlePerLoop {
            idle.append(connection)
        } else {
            evhttp_connection_free(connection)
        }
    }

    fileprivate func expire(_ waiter: PoolWaiter) {
        waiters.removeAll { $0 === waiter }
        waiter.resolve(nil)
    }

    private func makeConnection() -> OpaquePointer? {
        guard let connection = evhttp_connection_base_new(loop.base, dns, endpoint.host, UInt16(endpoint.port)) else {
            return nil
        }
        evhttp_connection_set_max_body_size(connection, limits.maxResponseBytes)
        evhttp_connection_set_max_headers_size(connection, limits.maxResponseHeaderBytes)
        // Our own timer bounds each call; evhttp's retry would hide connection failures from the retry rule.
        evhttp_connection_set_retries(connection, 0)
        busy += 1
        return connection
    }
}

/// A call waiting for a pooled connection, with a timer for its deadline.
private final class PoolWaiter {
    private unowned let pool: ConnectionPool
    private var continuation: CheckedContinuation<HandedConnection?, Never>?
    private var timer: OpaquePointer?

    init(pool: ConnectionPool, continuation: CheckedContinuation<HandedConnection?, Never>) {
        self.pool = pool
        self.continuation = continuation
    }

    func startTimer(on base: OpaquePointer, milliseconds: Int) {
        timer = event_new(base, -1, 0, poolWaiterExpired, Unmanaged.passUnretained(self).toOpaque())
        var delay = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        event_add(timer, &delay)
    }

    func expire() { pool.expire(self) }

    func resolve(_ connection: OpaquePointer?) {
        if let timer {
            event_free(timer)
            self.timer = nil
        }
        continuation?.resume(returning: connection.map(HandedConnection.init))
        continuation = nil
    }
}

/// A connection handed to a waiting call; it never leaves the pool's loop.
private struct HandedConnection: @unchecked Sendable {
    let handle: OpaquePointer
}

private func poolWaiterExpired(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    // The pool's waiter list holds the waiter; this reference keeps it alive while it leaves that list.
    let waiter = Unmanaged<PoolWaiter>.fromOpaque(argument!).takeUnretainedValue()
    waiter.expire()
}
