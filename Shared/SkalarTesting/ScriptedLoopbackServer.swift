import Glibc
import SkalarRuntime
import Synchronization

/// Runs `body` with a server on 127.0.0.1 that answers the n-th request it reads (counted from 0 over all
/// its connections) with the bytes `answer(n)` returns, exactly as they are, so a test can script a peer
/// that breaks HTTP; a nil answer leaves the request unanswered and the connection open. The server, its
/// threads and descriptors exist only while `body` runs, which holds the census gate for them (see
/// `withNoOtherTestService`).
public func withScriptedLoopbackServer<Result>(
    answering answer: @escaping @Sendable (Int) -> [UInt8]?, _ body: (ScriptedLoopbackServer) async throws -> Result
) async rethrows -> Result {
    try await withDescriptorsOfItsOwn {
        let server = ScriptedLoopbackServer(answer: answer)
        server.start()
        defer { server.stop() }
        return try await body(server)
    }
}

/// The server `withScriptedLoopbackServer` runs: a thread that accepts, and a thread per connection that
/// reads requests up to their blank line (the scripted peer is for requests without a body) and writes
/// the scripted answers. It counts what a client test asserts on: connections accepted, connections the
/// client closed, requests read.
public final class ScriptedLoopbackServer: Sendable {
    public let endpoint: HTTPEndpoint
    private let listener: Int32
    private let answer: @Sendable (Int) -> [UInt8]?
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)

    private struct State {
        var accepted = 0
        var closedByClient = 0
        var requests = 0
        /// Open connections; a descriptor is closed and removed under the lock, so one in here is open.
        var connections: Set<Int32> = []
        var threads: [SystemThread] = []
    }

    /// Connections accepted so far.
    public var accepted: Int { state.withLock { $0.accepted } }
    /// Connections the client closed or reset.
    public var closedByClient: Int { state.withLock { $0.closedByClient } }
    /// Requests read so far.
    public var requests: Int { state.withLock { $0.requests } }

    fileprivate init(answer: @escaping @Sendable (Int) -> [UInt8]?) {
        (listener, endpoint) = bindLoopbackSocket()
        precondition(listen(listener, 128) == 0, "listen failed: \(String(cString: strerror(errno)))")
        self.answer = answer
    }

    fileprivate func start() {
        let acceptor = Self.thread { self.acceptConnections() }
        state.withLock { $0.threads.append(acceptor) }
    }

    /// Wakes every thread (shutting a socket down ends a blocked `accept` or `recv`), waits for them and
    /// closes every descriptor.
    fileprivate func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        shutdown(listener, Int32(SHUT_RDWR))
        // The acceptor ends first, so no connection thread starts after the list below is taken.
        let acceptor = state.withLock { $0.threads[0] }
        acceptor.join()
        // Under the lock: a connection thread closes its descriptor under it too, and the number could be
        // another file's by the time the lock is let go.
        let threads = state.withLock { state in
            for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
            return state.threads.dropFirst()
        }
        for thread in threads { thread.join() }
        close(listener)
    }

    private func acceptConnections() {
        while !stopping.load(ordering: .sequentiallyConsistent) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            state.withLock { state in
                state.accepted += 1
                state.connections.insert(connection)
                state.threads.append(Self.thread { self.serve(connection) })
            }
        }
    }

    private func serve(_ connection: Int32) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                state.withLock { state in
                    if !stopping.load(ordering: .sequentiallyConsistent) { state.closedByClient += 1 }
                    state.connections.remove(connection)
                    close(connection)
                }
                return
            }
            pending += buffer[..<count]
            while let end = Self.endOfHead(in: pending) {
                pending.removeFirst(end)
                let index = state.withLock { state in
                    defer { state.requests += 1 }
                    return state.requests
                }
                if let bytes = answer(index) { Self.sendAll(bytes, on: connection) }
            }
        }
    }

    /// The length of the first request head in `bytes`, through its blank line, if it is all there.
    private static func endOfHead(in bytes: [UInt8]) -> Int? {
        let blankLine: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= blankLine.count else { return nil }
        for start in 0...(bytes.count - blankLine.count) where bytes[start..<start + 4].elementsEqual(blankLine) {
            return start + blankLine.count
        }
        return nil
    }

    /// Writes all of `bytes`; a peer that has gone is no error here (MSG_NOSIGNAL: no SIGPIPE either).
    private static func sendAll(_ bytes: [UInt8], on connection: Int32) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(connection, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return }
                offset += sent
            }
        }
    }

    private static func thread(_ body: @escaping @Sendable () -> Void) -> SystemThread {
        switch SystemThread.start(body) {
        case let .success(thread): return thread
        case let .failure(error): fatalError("cannot start a scripted server thread: \(error)")
        }
    }
}
