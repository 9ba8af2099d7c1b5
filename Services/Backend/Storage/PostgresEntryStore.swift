import Logging
import Prometheus
import SkalarPostgres
import SkalarRuntime
import Synchronization

/// Entries in a PostgreSQL database shared by any number of backend replicas.
///
/// Every query is one prepared statement on the serving loop's own pool (`PostgresClient`), committed
/// on its own, so nothing holds a transaction across a round trip. Idempotency keys are decided by the
/// database in the statement that creates the entry (see `PostgresSchema.insertWithKey`), so they hold
/// across replicas. The schema is migrated at start-up under an advisory lock.
final class PostgresEntryStore: EntryStore {
    /// A readiness check slower than this fails, as with SQLite.
    static let readinessBudget = Duration.milliseconds(250)

    private let client: PostgresClient
    private let metrics: StoreMetrics
    private let logger: Logger
    private let opened = Atomic<Bool>(false)

    init(
        connectionString: PostgresConnectionString, options: PostgresClient.Options, serviceMetrics: ServiceMetrics,
        logger: Logger
    ) {
        metrics = StoreMetrics(serviceMetrics)
        self.logger = logger
        client = PostgresClient(
            connectionString: connectionString, options: options, statements: PostgresSchema.statements,
            logger: logger, gauges: Self.poolGauges(serviceMetrics))
    }

    // MARK: Start-up

    func open(seedEntries: Int) async throws {
        let session = try await PostgresSession.open(like: client)
        defer { session.close() }
        let versions = try await metrics.timed(.migrate) { try await PostgresSchema.migrator.migrate(session) }
        if versions.from != versions.to {
            logger.info("database migrated", metadata: ["from": "\(versions.from)", "to": "\(versions.to)"])
        }
        if seedEntries > 0 {
            // Still under the migrations' lock: of replicas starting together, only the first seeds.
            try await session.run(
                PostgresSchema.seed, ["\(seedEntries)", "\(WallClock.milliseconds() - Int64(seedEntries))"])
        }
        try await refreshCount(with: session)
        opened.store(true, ordering: .releasing)
    }

    private func refreshCount(with session: PostgresSession) async throws {
        let count = try await session.run("SELECT count(*) FROM entries")
        metrics.entries.set(Double(count.int64(row: 0, column: 0) ?? 0))
    }

    // MARK: Writes

    func create(_ draft: EntryDraft, idempotencyKey: String?) async throws -> CreateOutcome {
        let now = WallClock.milliseconds()
        guard let idempotencyKey else {
            let result = try await query(.insert, PostgresSchema.insert, [draft.author, draft.message, "\(now)"])
            metrics.entries.increment()
            let id = result.int64(row: 0, column: 0)!
            return .created(Entry(id: id, author: draft.author, message: draft.message, createdAt: now))
        }
        let oldestRemembered = now - idempotencyKeyLifetime.wholeMilliseconds
        let result = try await query(
            .insert, PostgresSchema.insertWithKey,
            [idempotencyKey, draft.author, draft.message, "\(now)", "\(oldestRemembered)"])
        let entry = Entry(
            id: result.int64(row: 0, column: 0)!, author: result.text(row: 0, column: 1)!,
            message: result.text(row: 0, column: 2)!, createdAt: result.int64(row: 0, column: 3)!)
        if result.bool(row: 0, column: 4) {
            metrics.entries.increment()
            return .created(entry)
        }
        guard entry.author == draft.author && entry.message == draft.message else { return .conflict }
        return .replayed(StoredResponse(status: 201, location: entry.location, body: entry.json.serialized))
    }

    func delete(id: Int64) async throws -> Bool {
        let deleted = try await query(.delete, PostgresSchema.delete, ["\(id)"]).affectedRows > 0
        if deleted { metrics.entries.decrement() }
        return deleted
    }

    /// Forgets expired keys (every replica does; the statement is the same) and re-reads the entry count,
    /// which other replicas change too.
    func purgeExpiredKeys() async throws {
        let oldest = WallClock.milliseconds() - idempotencyKeyLifetime.wholeMilliseconds
        try await query(.delete, PostgresSchema.purgeKeys, ["\(oldest)"])
        let count = try await query(.selectOne, PostgresSchema.count, [])
        metrics.entries.set(Double(count.int64(row: 0, column: 0) ?? 0))
    }

    // MARK: Reads

    func entry(id: Int64) async throws -> Entry? {
        let result = try await query(.selectOne, PostgresSchema.selectOne, ["\(id)"])
        return result.rowCount == 0 ? nil : Self.entry(result, row: 0)
    }

    func page(limit: Int, before: Int64?) async throws -> EntryPage {
        // One row more than asked says whether another page follows.
        let result = try await query(
            .selectPage, PostgresSchema.selectPage, ["\(before ?? Int64.max)", "\(limit + 1)"])
        var items = (0..<result.rowCount).map { Self.entry(result, row: $0) }
        let hasMore = items.count > limit
        if hasMore { items.removeLast() }
        return EntryPage(items: items, next: hasMore ? items.last?.id : nil)
    }

    func readinessProblem() async -> String? {
        guard opened.load(ordering: .acquiring) else { return "database not open yet" }
        return await metrics.timed(.readinessCheck) { await client.readinessProblem(budget: Self.readinessBudget) }
    }

    // MARK: Plumbing

    /// Runs a statement on this loop's pool, timed under `operation`; the database's failures become the
    /// store's, and a failed write is counted in `db_write_errors_total`.
    @discardableResult
    private func query(
        _ operation: StoreMetrics.Operation, _ statement: PostgresStatement, _ parameters: [String?]
    ) async throws -> PostgresResult {
        do {
            guard opened.load(ordering: .acquiring) else { throw StoreError.unavailable }
            do {
                return try await metrics.timed(operation) { () async throws(PostgresError) in
                    try await client.run(statement, parameters)
                }
            } catch let error as PostgresError {
                throw Self.storeError(error, of: statement.kind)
            }
        } catch {
            if statement.kind == .write { metrics.countWriteError(error) }
            throw error
        }
    }

    /// The store's failure for a database failure of a statement of `kind`: one that a retry can get
    /// past, a write whose outcome is unknown, or the error itself (a 500) for anything else.
    private static func storeError(_ error: PostgresError, of kind: PostgresStatement.Kind) -> any Error {
        switch error {
        case .unavailable: return StoreError.unavailable
        case .connectionLost: return kind == .write ? StoreError.writeOutcomeUnknown : StoreError.unavailable
        case .timeout: return kind == .write ? StoreError.writeOutcomeUnknown : StoreError.timeout
        case let .server(sqlState, _):
            switch sqlState {
            // Connection exceptions, the server shutting down or refusing connections, a read-only
            // standby after a failover.
            case _ where sqlState.hasPrefix("08"), "57P01", "57P02", "57P03", "53300", "25006":
                return StoreError.unavailable
            case "57014": return StoreError.timeout  // statement_timeout
            case "40001", "40P01", "55P03": return StoreError.busy  // serialization, deadlock, lock wait
            default: return error
            }
        }
    }

    private static func entry(_ result: PostgresResult, row: Int) -> Entry {
        Entry(
            id: result.int64(row: row, column: 0)!, author: result.text(row: row, column: 1)!,
            message: result.text(row: row, column: 2)!, createdAt: result.int64(row: row, column: 3)!)
    }

    /// `db_client_connection_count{state}` and `db_client_connection_pending_requests`, summed over the
    /// loops' pools.
    private static func poolGauges(_ metrics: ServiceMetrics) -> PostgresPoolGauges {
        let connections = "db_client_connection_count"
        let help = "Connections to PostgreSQL: idle, or used by a query in flight."
        let idle = metrics.registry.makeGauge(
            descriptor: ServiceMetrics.descriptor(connections, help: help), labels: [("state", "idle")])
        let used = metrics.registry.makeGauge(
            descriptor: ServiceMetrics.descriptor(connections, help: help), labels: [("state", "used")])
        let pending = metrics.registry.makeGauge(
            descriptor: ServiceMetrics.descriptor(
                "db_client_connection_pending_requests", help: "Queries waiting for room on a PostgreSQL connection."))
        return PostgresPoolGauges { idleChange, usedChange, pendingChange in
            if idleChange != 0 { idle.increment(by: Double(idleChange)) }
            if usedChange != 0 { used.increment(by: Double(usedChange)) }
            if pendingChange != 0 { pending.increment(by: Double(pendingChange)) }
        }
    }
}
