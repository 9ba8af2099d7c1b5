import Glibc
import SkalarSQLite
import SkalarTesting
import Testing

@testable import Backend

/// `PRAGMA application_id` and the schema check: Skalar's databases are marked, old unmarked ones adopted,
/// any other SQLite file refused and left as it was.
@Suite struct DatabaseMarkingTests {
    private let migrator = Schema.migrator

    private func withDatabase(_ body: (String, SQLiteConnection) throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/db.sqlite"
            try body(path, try SQLiteConnection(path: path))
        }
    }

    /// A Skalar database as every build before the marking left it: migrated, application_id 0.
    private func unmarkedSkalarDatabase(_ connection: SQLiteConnection) throws {
        try migrator.migrate(connection)
        try connection.execute("PRAGMA application_id = 0")
    }

    private func refusal(_ connection: SQLiteConnection) -> SQLiteMigrator.Refusal? {
        do {
            _ = try migrator.inspect(connection)
            return nil
        } catch {
            return error as? SQLiteMigrator.Refusal
        }
    }

    @Test func aNewDatabaseIsMarkedAndMigrated() async throws {
        try await withDatabase { _, connection throws in
            #expect(try migrator.inspect(connection) == .empty)
            #expect(try migrator.migrate(connection) == Schema.migrations.count)
            #expect(try connection.integerPragma("application_id") == 0x534B_4C52)
            #expect(try migrator.inspect(connection) == .own(version: Schema.migrations.count))
            #expect(try migrator.migrate(connection) == 0, "a rerun changes nothing")
        }
    }

    @Test func anUnmarkedSkalarDatabaseIsAdoptedWithItsEntries() async throws {
        try await withDatabase { _, connection throws in
            try unmarkedSkalarDatabase(connection)
            try connection.run("INSERT INTO entries (author, message, created_at) VALUES ('a', 'kept', 1)")
            // SQLite's own objects come and go (ANALYZE adds sqlite_stat1) and do not count.
            try connection.execute("ANALYZE")
            #expect(try migrator.inspect(connection) == .unmarked(version: 1))
            try migrator.migrate(connection)
            #expect(try connection.integerPragma("application_id") == Int64(Schema.applicationID))
            #expect(try connection.firstRow("SELECT message FROM entries") { $0.text(at: 0) } == "kept")
        }
    }

    @Test func anotherProgramsDatabaseIsRefused() async throws {
        try await withDatabase { _, connection throws in
            try connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY); PRAGMA user_version = 1")
            #expect(refusal(connection) == .unknownSchema(version: 1, tables: ["accounts"]))
        }
        try await withDatabase { _, connection throws in
            try connection.execute("PRAGMA application_id = 252006674")
            #expect(refusal(connection) == .foreign(applicationID: 252_006_674))
            #expect(refusal(connection)?.description == "its application_id 0x0F055112 is another program's")
        }
        try await withDatabase { _, connection throws in
            try connection.execute("PRAGMA user_version = 1")
            #expect(refusal(connection) == .unknownSchema(version: 1, tables: []), "no tables at version 1")
        }
    }

    @Test func skalarsTablesAmongAnotherProgramsAreRefused() async throws {
        try await withDatabase { _, connection throws in
            try unmarkedSkalarDatabase(connection)
            try connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
            #expect(
                refusal(connection)
                    == .unknownSchema(version: 1, tables: ["accounts", "entries", "idempotency_keys"]))
        }
        try await withDatabase { _, connection throws in
            try unmarkedSkalarDatabase(connection)
            try connection.execute("DROP INDEX idempotency_keys_by_age")
            #expect(refusal(connection) != nil, "a schema short of an index is not Skalar's either")
        }
    }

    @Test func aNewerSchemaIsRefused() async throws {
        try await withDatabase { _, connection throws in
            try migrator.migrate(connection)
            try connection.execute("PRAGMA user_version = 2")
            #expect(refusal(connection) == .newer(version: 2, known: 1))
        }
    }

    @Test func aRefusedFileIsLeftByteForByte() async throws {
        try await withDatabase { path, connection throws in
            try connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY); PRAGMA user_version = 1")
            let before = try #require(fileBytes(path))
            #expect(throws: SQLiteMigrator.Refusal.self) { try migrator.migrate(connection) }
            #expect(DatabaseRefusal.check(path: path, migrator: migrator) != nil)
            #expect(fileBytes(path) == before)
            #expect(fileBytes(path + "-wal") == nil, "the journal mode was not switched")
        }
    }

    @Test func theStartUpCheckTellsWhy() async throws {
        await withTemporaryDirectory { directory in
            let path = "\(directory)/db.sqlite"
            #expect(DatabaseRefusal.check(path: path, migrator: migrator) == nil, "no file: a new database")
            #expect(DatabaseRefusal.check(path: directory, migrator: migrator)?.description == "it is a directory")
            let file = fopen(path, "w")
            fputs(String(repeating: "not a database ", count: 40), file)
            fclose(file)
            #expect(
                DatabaseRefusal.check(path: path, migrator: migrator)?.description == "it is not an SQLite database")
            let line = DatabaseRefusal.check(path: path, migrator: migrator)?
                .configurationError(variable: "DATABASE_PATH", path: path).description
            #expect(
                line
                    == "invalid DATABASE_PATH=\"\(path)\": expected a Skalar SQLite database or a path for a new "
                    + "one, but it is not an SQLite database")
        }
        try await withDatabase { path, connection throws in
            try migrator.migrate(connection)
            #expect(DatabaseRefusal.check(path: path, migrator: migrator) == nil)
        }
    }
}
