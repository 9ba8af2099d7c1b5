/// Applies numbered schema migrations in order, recording progress in `PRAGMA user_version`.
///
/// Each migration runs in its own write transaction together with the version bump, so a crash leaves the
/// schema at a whole version, and rerunning applies only what is missing.
public struct SQLiteMigrator {
    /// SQL scripts; the script at index i upgrades the schema from version i to i + 1.
    public let migrations: [String]

    public init(migrations: [String]) {
        self.migrations = migrations
    }

    /// Brings the database to the newest version; returns how many migrations ran.
    @discardableResult
    public func migrate(_ connection: SQLiteConnection) throws -> Int {
        let current = Int(try connection.integerPragma("user_version"))
        guard current <= migrations.count else {
            throw SQLiteError(
                code: 1, message: "schema version \(current) is newer than this build knows (\(migrations.count))")
        }
        for version in current..<migrations.count {
            try connection.writeTransaction {
                // A concurrent process may have migrated since we looked; the write lock makes this exact.
                guard try connection.integerPragma("user_version") == Int64(version) else { return }
                try connection.execute(migrations[version])
                try connection.execute("PRAGMA user_version = \(version + 1)")
            }
        }
        return migrations.count - current
    }
}
