import Glibc
import Logging
import SkalarRuntime
import SkalarSQLite
import Synchronization

/// Entries in one SQLite file: WAL mode, one writer thread, one read connection per event loop.
///
/// Reads run on the loop that serves the request, with that loop's own connection. In WAL mode readers
/// never wait for the writer, so a slow commit delays only the writes queued behind it. Every commit is
/// `synchronous = FULL`: the WAL is fsynced before a 201 goes out, so an acknowledged entry survives both
/// `kill -9` and a power cut.
final class SQLiteEntryStore: EntryStore {
    /// A readiness check slower than this fails: a database that slow is as bad as a broken one.
    static let readinessBudget = Duration.milliseconds(250)
    /// A write unfinished after this long means the writer is stuck (another process holds the lock, the
    /// disk hangs); readiness fails until writes flow again. Well below the busy timeout, so the pod leaves
    /// rotation before clients see `database_busy`.
    static let writeStall = Duration.seconds(2)
    static let busyTimeout = Duration.seconds(5)

    let path: String
    private let writer: DatabaseWriter
    private let files: DatabaseFiles
    private let metrics: StoreMetrics
    private let logger: Logger
    private let opened = Atomic<Bool>(false)
    /// Why the last attempt to open failed, for readiness; nil once open.
    private let openFailure = Mutex<String?>(nil)
    /// Whether the last write failed for lack of space, so that the start and the end of a full disk are
    /// logged once each.
    private let storageFull = Atomic<Bool>(false)

    init(path: String, serviceMetrics: ServiceMetrics, logger: Logger) {
        self.path = path
        let metrics = StoreMetrics(serviceMetrics)
        self.metrics = metrics
        self.logger = logger
        let files = DatabaseFiles(path: path) {
            logger.critical(
                "database file deleted or replaced while open; restart the backend", metadata: ["path": "\(path)"])
        }
        self.files = files
        writer = DatabaseWriter(
            onCommit: { seconds in metrics.duration(of: .commit, seconds: seconds) },
            verifyFiles: { () throws(StoreError) in try files.verify() })
    }

    // MARK: Start-up

    /// Opens the database, marks and migrates it, and fills it with `seedEntries` generated entries when
    /// empty. Throws a `DatabaseRefusal` for a file that must not be used (and leaves it unchanged), and
    /// SQLite's error for a passing fault, after which it may be called again.
    func open(seedEntries: Int) async throws {
        do {
            try await openWriter()
            let count = try await write { connection in
                try connection.firstRow("SELECT count(*) FROM entries") { $0.int64(at: 0) } ?? 0
            }
            metrics.entries.set(Double(count))
            if count == 0 && seedEntries > 0 { try await seed(seedEntries) }
        } catch {
            openFailure.withLock { $0 = "\(error)" }
            await writer.stop()
            throw error
        }
        openFailure.withLock { $0 = nil }
        opened.store(true, ordering: .releasing)
    }

    private func openWriter() async throws {
        let path = path
        let metrics = metrics
        let files = files
        try await writer.start {
            let connection = try Self.connect(path: path, mode: .readWriteCreate)
            if connection.isReadOnly { throw DatabaseRefusal.readOnly }
            // Refused before anything is written: the journal mode is part of another program's file too.
            _ = try Schema.migrator.inspect(connection)
            try connection.execute("PRAGMA journal_mode = WAL")
            try metrics.timed(.migrate) { try Schema.migrator.migrate(connection) }
            try files.record()
            return connection
        }
    }

    /// Finishes the queued writes and closes the writer's connection and thread, for a store that is not
    /// used again (a test's). The loops' read connections close with their loops' state.
    func close() async {
        await writer.stop()
    }

    private static func connect(path: String, mode: SQLiteConnection.OpenMode) throws(SQLiteError) -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path, mode: mode)
        connection.setBusyTimeout(busyTimeout)
        try connection.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
        return connection
    }

    /// Runs `work` on the writer; counts a failure under its reason and logs when a full disk begins and ends.
    private func write<Result: Sendable>(
        _ work: @escaping @Sendable (SQLiteConnection) throws -> Result
    ) async throws -> Result {
        do {
            let result = try await writer.write(work)
            if storageFull.exchange(false, ordering: .relaxed) {
                logger.notice("database writes succeed again", metadata: ["path": "\(path)"])
            }
            return result
        } catch {
            metrics.countWriteError(error)
            if error as? StoreError == .storageFull, !storageFull.exchange(true, ordering: .relaxed) {
                logger.error("database storage full; writes fail", metadata: ["path": "\(path)"])
            }
            throw error
        }
    }

    private func seed(_ total: Int) async throws {
        let start = WallClock.milliseconds() - Int64(total)
        var done = 0
        while done < total {
            let batch = min(1000, total - done)
            let first = done
            _ = try await write { connection in
                for index in first..<(first + batch) {
                    try connection.run(
                        Self.insertEntry, .text("seed-\(index % 97)"),
                        .text("Seeded entry \(index + 1) for load tests."),
                        .integer(start + Int64(index)))
                }
                return batch
            }
            done += batch
        }
        metrics.entries.increment(by: Double(total))
    }

    // MARK: Writes

    func create(_ draft: EntryDraft, idempotencyKey: String?) async throws -> CreateOutcome {
        let metrics = metrics
        let outcome = try await write { connection -> CreateOutcome in
            let now = WallClock.milliseconds()
            if let idempotencyKey {
                let earlier = try metrics.timed(.idempotencyLookup) {
                    try connection.firstRow(
                        "SELECT author, message, status, location, body FROM idempotency_keys WHERE key = ?1 AND "
                            + "created_at > ?2",
                        .text(idempotencyKey), .integer(now - idempotencyKeyLifetime.wholeMilliseconds)
                    ) { row in
                        (
                            draft: EntryDraft(author: row.text(at: 0), message: row.text(at: 1)),
                            response: StoredResponse(
                                status: Int(row.int64(at: 2)), location: row.text(at: 3), body: row.text(at: 4))
                        )
                    }
                }
                if let earlier { return earlier.draft == draft ? .replayed(earlier.response) : .conflict }
            }
            try metrics.timed(.insert) {
                try connection.run(Self.insertEntry, .text(draft.author), .text(draft.message), .integer(now))
            }
            let entry = Entry(
                id: connection.lastInsertRowID, author: draft.author, message: draft.message, createdAt: now)
            if let idempotencyKey {
                // An expired row with this key may still be there until the next purge; it is replaced.
                try connection.run(
                    "INSERT OR REPLACE INTO idempotency_keys (key, author, message, status, location, body, "
                        + "created_at) VALUES (?1, ?2, ?3, 201, ?4, ?5, ?6)",
                    .text(idempotencyKey), .text(draft.author), .text(draft.message), .text(entry.location),
                    .text(entry.json.serialized), .integer(now))
            }
            return .created(entry)
        }
        if case .created = outcome { metrics.entries.increment() }
        return outcome
    }

    func delete(id: Int64) async throws -> Bool {
        let metrics = metrics
        let deleted = try await write { connection in
            try metrics.timed(.delete) { try connection.run("DELETE FROM entries WHERE id = ?1", .integer(id)) }
            return connection.changes > 0
        }
        if deleted { metrics.entries.decrement() }
        return deleted
    }

    /// Forgets idempotency keys past their lifetime; runs on the writer like any write.
    func purgeExpiredKeys() async throws {
        _ = try await write { connection in
            try connection.run(
                "DELETE FROM idempotency_keys WHERE created_at <= ?1",
                .integer(WallClock.milliseconds() - idempotencyKeyLifetime.wholeMilliseconds))
            return connection.changes
        }
    }

    // MARK: Reads

    func entry(id: Int64) async throws -> Entry? {
        let reader = try readerConnection()
        return try metrics.timed(.selectOne) {
            try reader.firstRow(
                "SELECT id, author, message, created_at FROM entries WHERE id = ?1", .integer(id), transform: Self.entry
            )
        }
    }

    func page(limit: Int, before: Int64?) async throws -> EntryPage {
        let reader = try readerConnection()
        // One row more than asked says whether another page follows.
        var items = try metrics.timed(.selectPage) {
            try reader.rows(
                "SELECT id, author, message, created_at FROM entries WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
                .integer(before ?? Int64.max), .integer(Int64(limit + 1)), transform: Self.entry)
        }
        let hasMore = items.count > limit
        if hasMore { items.removeLast() }
        return EntryPage(items: items, next: hasMore ? items.last?.id : nil)
    }

    func readinessProblem() async -> String? {
        guard opened.load(ordering: .acquiring) else {
            return openFailure.withLock { $0 }.map { "database not open: \($0)" } ?? "database not open yet"
        }
        do { try files.verify() } catch { return Self.fileLostReason }
        if writer.oldestWait > Self.writeStall { return "database writes are stalled" }
        let start = MonotonicClock.nanoseconds()
        do {
            let reader = try readerConnection()
            try metrics.timed(.readinessCheck) {
                _ = try reader.firstRow("SELECT max(id) FROM entries") { $0.int64(at: 0) }
            }
        } catch {
            return "database check failed: \(error)"
        }
        if .elapsed(since: start) > Self.readinessBudget { return "database check exceeded its budget" }
        return nil
    }

    static let fileLostReason = "database file deleted or replaced while open; restart the backend"

    /// This loop's read connection, opened on first use. Fails with `StoreError.unavailable` until the
    /// database is open, and with `fileLost` once its file is gone: reads then would show what no longer is.
    private func readerConnection() throws -> SQLiteConnection {
        guard opened.load(ordering: .acquiring) else { throw StoreError.unavailable }
        guard !files.isLost else { throw StoreError.fileLost }
        guard let loop = EventLoop.current else { preconditionFailure("reads run on an event loop") }
        let holder = loop.local(ObjectIdentifier(self)) { ReaderHolder() }
        if let connection = holder.connection { return connection }
        // Never creates the file: one deleted since the start would come back empty.
        try files.verify()
        let connection = try Self.connect(path: path, mode: .readWrite)
        try connection.execute("PRAGMA query_only = ON")
        holder.connection = connection
        return connection
    }

    private static let insertEntry = "INSERT INTO entries (author, message, created_at) VALUES (?1, ?2, ?3)"

    private static func entry(from row: SQLiteRow) -> Entry {
        Entry(id: row.int64(at: 0), author: row.text(at: 1), message: row.text(at: 2), createdAt: row.int64(at: 3))
    }
}

/// A loop's read connection; loop-local, so it needs no lock.
private final class ReaderHolder {
    var connection: SQLiteConnection?
}
