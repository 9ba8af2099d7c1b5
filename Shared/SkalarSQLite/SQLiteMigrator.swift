/// Applies numbered schema migrations in order, recording progress in `PRAGMA user_version`, to databases
/// marked with the application's `PRAGMA application_id`, and refuses any other SQLite file.
///
/// Each migration runs in its own write transaction together with the version bump, so a crash leaves the
/// schema at a whole version, and rerunning applies only what is missing.
public struct SQLiteMigrator: Sendable {
    /// What an SQLite file holds, as far as this migrator can tell without writing.
    public enum Contents: Sendable, Equatable {
        /// No schema and no marks: a new file, or one that SQLite created and nothing wrote to.
        case empty
        /// Marked with this application's id, at this schema version.
        case own(version: Int)
        /// Not marked (application_id 0), but its user_version and its schema are exactly what this
        /// application's migrations make: a database from before the marking, to adopt.
        case unmarked(version: Int)
    }

    /// Why a file is not one this migrator may change.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// Another application's id.
        case foreign(applicationID: Int32)
        /// Unmarked, and its schema is none of this application's versions: another program's tables, or
        /// this application's tables among another's.
        case unknownSchema(version: Int, tables: [String])
        /// Marked as this application's, at a version newer than the migrations go.
        case newer(version: Int, known: Int)

        public var description: String {
            switch self {
            case let .foreign(id):
                "its application_id \(hex(id)) is another program's"
            case let .unknownSchema(version, tables):
                "its application_id is 0 and its schema (user_version \(version), "
                    + (tables.isEmpty ? "no tables" : "tables \(tables.joined(separator: ", "))")
                    + ") is none this build makes"
            case let .newer(version, known):
                "its schema version \(version) is newer than this build knows (\(known))"
            }
        }
    }

    /// The value of `PRAGMA application_id` that marks the application's databases.
    public let applicationID: Int32
    /// SQL scripts; the script at index i upgrades the schema from version i to i + 1.
    public let migrations: [String]

    public init(applicationID: Int32, migrations: [String]) {
        precondition(applicationID != 0, "0 is every unmarked SQLite file's application_id")
        self.applicationID = applicationID
        self.migrations = migrations
    }

    /// Tells what the database holds, reading only; throws a `Refusal` for a file that is not this
    /// application's, and SQLite's own error for one it cannot read.
    public func inspect(_ connection: SQLiteConnection) throws -> Contents {
        let id = Int32(truncatingIfNeeded: try connection.integerPragma("application_id"))
        let version = Int(try connection.integerPragma("user_version"))
        if id == applicationID {
            guard version <= migrations.count else { throw Refusal.newer(version: version, known: migrations.count) }
            return .own(version: version)
        }
        guard id == 0 else { throw Refusal.foreign(applicationID: id) }
        let schema = try Self.schema(of: connection)
        if version == 0 && schema.isEmpty { return .empty }
        if version >= 1 && version <= migrations.count, try schema == expectedSchema(at: version) {
            return .unmarked(version: version)
        }
        throw Refusal.unknownSchema(
            version: version, tables: schema.filter { $0.type == "table" }.map(\.name).sorted())
    }

    /// Marks an empty or unmarked database as the application's and brings it to the newest version;
    /// returns how many migrations ran. Throws a `Refusal`, changing nothing, for a file that is not the
    /// application's.
    @discardableResult
    public func migrate(_ connection: SQLiteConnection) throws -> Int {
        var current: Int
        switch try inspect(connection) {
        case let .own(version):
            current = version
        case .empty, .unmarked:
            current = try connection.writeTransaction {
                // Looked at again under the write lock: another process may have changed the file since.
                let contents = try inspect(connection)
                try connection.execute("PRAGMA application_id = \(applicationID)")
                switch contents {
                case .empty: return 0
                case let .own(version), let .unmarked(version): return version
                }
            }
        }
        let first = current
        while current < migrations.count {
            let version = current
            try connection.writeTransaction {
                // A concurrent process may have migrated since we looked; the write lock makes this exact.
                guard try connection.integerPragma("user_version") == Int64(version) else { return }
                try connection.execute(migrations[version])
                try connection.execute("PRAGMA user_version = \(version + 1)")
            }
            current += 1
        }
        return migrations.count - first
    }

    /// One object of a schema, as `sqlite_master` lists it (SQLite keeps each `CREATE` statement's text,
    /// normalized the same way by every version).
    private struct SchemaObject: Hashable {
        let type: String
        let name: String
        let table: String
        let sql: String
    }

    /// The application's objects in a database; SQLite's own (`sqlite_sequence`, `sqlite_stat1`,
    /// automatic indexes) are left out, since they come and go with ANALYZE and AUTOINCREMENT.
    private static func schema(of connection: SQLiteConnection) throws -> Set<SchemaObject> {
        Set(
            try connection.rows("SELECT type, name, tbl_name, ifnull(sql, '') FROM sqlite_master") { row in
                SchemaObject(type: row.text(at: 0), name: row.text(at: 1), table: row.text(at: 2), sql: row.text(at: 3))
            }.filter { !$0.name.hasPrefix("sqlite_") })
    }

    /// The schema the first `version` migrations make, made in memory.
    private func expectedSchema(at version: Int) throws -> Set<SchemaObject> {
        let scratch = try SQLiteConnection(path: ":memory:")
        for migration in migrations.prefix(version) { try scratch.execute(migration) }
        return try Self.schema(of: scratch)
    }
}

/// `0x0F055112`: how application ids are written, as `file(1)` and SQLite's magic.txt show them.
private func hex(_ id: Int32) -> String {
    let digits = String(UInt32(bitPattern: id), radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
