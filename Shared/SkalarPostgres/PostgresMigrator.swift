/// Versioned schema migrations that any number of replicas may run at once. Each takes a session-level
/// advisory lock first, so one migrates while the others wait, and then find nothing left to do.
/// Migration `n` (1-based) runs in one transaction with the row that records version `n`, so a crash
/// or a failing statement leaves the schema at the version before it.
public struct PostgresMigrator: Sendable {
    /// Each migration's statements, one SQL statement each, oldest first. Never edit a released one.
    public let migrations: [[String]]
    /// The table that records the versions applied; named for the application, since a database may be
    /// shared with others that keep a `schema_migrations` of their own.
    public let table: String
    /// The advisory lock's key: any 64-bit number, the same for every replica of one application.
    public let lockKey: Int64

    public init(migrations: [[String]], table: String, lockKey: Int64) {
        self.migrations = migrations
        self.table = table
        self.lockKey = lockKey
    }

    /// The versions before and after. Takes the lock on `session` and keeps it: work that must not run
    /// twice (seeding an empty table) can follow before the session closes, which releases it. A
    /// database already past the last migration (a newer release migrated it) is left as it is.
    public func migrate(_ session: PostgresSession) async throws(PostgresError) -> (from: Int, to: Int) {
        try await session.run("SELECT pg_advisory_lock($1)", ["\(lockKey)"])
        try await session.run(
            "CREATE TABLE IF NOT EXISTS \(table) (version integer PRIMARY KEY, "
                + "applied_at timestamptz NOT NULL DEFAULT now())")
        let found = try await session.run("SELECT coalesce(max(version), 0) FROM \(table)")
        let from = Int(found.int64(row: 0, column: 0) ?? 0)
        guard from < migrations.count else { return (from, from) }
        for version in (from + 1)...migrations.count {
            let statements = migrations[version - 1].map { ($0, [String?]()) }
            try await session.transaction(
                statements + [("INSERT INTO \(table) (version) VALUES ($1)", ["\(version)"])])
        }
        return (from, migrations.count)
    }
}
