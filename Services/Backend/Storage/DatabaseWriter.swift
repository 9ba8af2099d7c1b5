import Glibc
import SkalarRuntime
import SkalarSQLite
import Synchronization

/// The one thread that writes to the database, with its own connection.
///
/// SQLite allows one writer at a time, and a durable commit waits for an fsync. Doing that on an event
/// loop would stall every connection on that loop, so writes queue here instead and the awaiting handler
/// resumes on its loop when its commit is on disk. Writes that arrive together share one transaction and
/// one fsync (group commit); each runs in its own savepoint, so one failing write does not undo the others.
final class DatabaseWriter: @unchecked Sendable {
    private struct Job: Sendable {
        let work: @Sendable (SQLiteConnection) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
        let enqueuedAt: UInt64
    }

    /// The writes waiting for the thread, and whether it takes new ones: from the moment its connection
    /// is open until `stop()`. One lock for both, so no write is queued after the thread was told to end.
    private struct Queue {
        var jobs: [Job] = []
        var accepting = false
    }

    /// More writes than this in one transaction would hold early writers' responses too long.
    static let maximumBatch = 256

    private let pending = Mutex(Queue())
    /// When the running transaction began (monotonic ns), 0 while idle.
    private let batchStartedAt = Atomic<UInt64>(0)
    private let wakeup = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private var connection: SQLiteConnection?
    private let onCommit: @Sendable (Double) -> Void
    private let verifyFiles: @Sendable () throws(StoreError) -> Void
    /// The caller of `stop()`, resumed by the thread once it has closed its connection.
    private let stopRequest = Mutex<CheckedContinuation<Void, Never>?>(nil)

    /// `onCommit` receives each transaction's duration in seconds, for the commit metric. `verifyFiles`
    /// throws when the files written to are no longer the database at its path; it is asked before each
    /// transaction and after its commit, and a commit it fails is answered as failed.
    init(
        onCommit: @escaping @Sendable (Double) -> Void,
        verifyFiles: @escaping @Sendable () throws(StoreError) -> Void
    ) {
        self.onCommit = onCommit
        self.verifyFiles = verifyFiles
        sem_init(wakeup, 0, 0)
    }

    deinit {
        sem_destroy(wakeup)
        wakeup.deallocate()
    }

    /// Opens the writer's connection with `open` on the writer's own thread and starts serving writes.
    func start(open: @escaping @Sendable () throws -> SQLiteConnection) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            switch SystemThread.start({ self.run(open: open, started: continuation) }) {
            case let .success(thread):
                thread.detach()
            case let .failure(error):
                continuation.resume(throwing: SQLiteError(code: 1, message: "cannot start the writer thread: \(error)"))
            }
        }
    }

    /// Runs `work` on the writer thread inside the current batch's transaction; returns after the commit.
    /// Fails at once with `StoreError.unavailable` while the writer is not running (its database could not
    /// be opened yet, or it stopped), so no handler waits for a thread that is not there. A lock another
    /// process held past the busy timeout surfaces as `StoreError.busy`, a full file system as
    /// `StoreError.storageFull`.
    func write<Result: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws -> Result) async throws -> Result
    {
        do {
            let result = try await withCheckedThrowingContinuation { continuation in
                let job = Job(
                    work: { try work($0) }, continuation: continuation, enqueuedAt: MonotonicClock.nanoseconds())
                let queued = pending.withLock { queue in
                    guard queue.accepting else { return false }
                    queue.jobs.append(job)
                    return true
                }
                if queued { sem_post(wakeup) } else { continuation.resume(throwing: StoreError.unavailable) }
            }
            return result as! Result
        } catch let error as SQLiteError where error.isBusy {
            throw StoreError.busy
        } catch let error as SQLiteError where error.isStorageFull {
            throw StoreError.storageFull
        }
    }

    /// Lets the writes queued so far finish, then closes the connection and ends the thread; returns once
    /// the connection is closed. Later writes fail with `StoreError.unavailable`. Returns at once when the
    /// writer never started.
    func stop() async {
        let wasAccepting = pending.withLock { queue in
            defer { queue.accepting = false }
            return queue.accepting
        }
        guard wasAccepting else { return }
        await withCheckedContinuation { continuation in
            stopRequest.withLock { $0 = continuation }
            sem_post(wakeup)
        }
    }

    /// How long the oldest unfinished write has waited, queued or in the running transaction; 0 when none.
    var oldestWait: Duration {
        let running = batchStartedAt.load(ordering: .relaxed)
        let queued: UInt64? = pending.withLock { $0.jobs.first?.enqueuedAt }
        let candidates = [running == 0 ? nil : running, queued].compactMap { $0 }
        guard let oldest = candidates.min() else { return .zero }
        return .elapsed(since: oldest)
    }

    private func run(open: () throws -> SQLiteConnection, started: CheckedContinuation<Void, any Error>) {
        do {
            connection = try open()
        } catch {
            started.resume(throwing: error)
            return
        }
        pending.withLock { $0.accepting = true }
        started.resume()
        while true {
            while sem_wait(wakeup) != 0 {}
            // Looked at before the queue: every write queued before the stop is then in the batch taken
            // below or in a later one, and the stop's own post brings the thread back once they are done.
            let stopping = stopRequest.withLock { $0 != nil }
            let jobs = pending.withLock { queue in
                let batch = Array(queue.jobs.prefix(Self.maximumBatch))
                queue.jobs.removeFirst(batch.count)
                return batch
            }
            if !jobs.isEmpty {
                commit(jobs)
            } else if stopping, let stopped = stopRequest.withLock({ $0.take() }) {
                connection = nil
                stopped.resume()
                return
            }
        }
    }

    private func commit(_ jobs: [Job]) {
        guard let connection else { return }
        let start = MonotonicClock.nanoseconds()
        batchStartedAt.store(jobs.map(\.enqueuedAt).min() ?? start, ordering: .relaxed)
        defer { batchStartedAt.store(0, ordering: .relaxed) }
        var results: [Result<any Sendable, any Error>] = []
        do {
            try verifyFiles()
            try connection.run("BEGIN IMMEDIATE")
            for job in jobs {
                try connection.run("SAVEPOINT write")
                do {
                    results.append(.success(try job.work(connection)))
                    try connection.run("RELEASE write")
                } catch {
                    // A full disk or an I/O error makes SQLite roll back the whole transaction: then every
                    // write of the batch failed with this error.
                    guard connection.isInTransaction else { throw error }
                    try connection.run("ROLLBACK TO write")
                    try connection.run("RELEASE write")
                    results.append(.failure(error))
                }
            }
            try connection.run("COMMIT")
            // The commit is durable only if the file it went into is still the one at the path.
            try verifyFiles()
        } catch {
            try? connection.run("ROLLBACK")
            for job in jobs { job.continuation.resume(throwing: error) }
            return
        }
        onCommit(MonotonicClock.secondsSince(start))
        for (job, result) in zip(jobs, results) { job.continuation.resume(with: result) }
    }
}
