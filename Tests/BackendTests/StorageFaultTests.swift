import Glibc
import HTTPTypes
import SkalarRuntime
import SkalarSQLite
import SkalarTesting
import Synchronization
import Testing

@testable import Backend

/// What the store answers when its storage fails: at once while the database is not open, never a 201
/// for a write into a file that is no longer at the path, a clear status for each fault.
@Suite struct StorageFaultTests {
    private static func writer(verifyFiles: @escaping @Sendable () throws(StoreError) -> Void = {}) -> DatabaseWriter {
        DatabaseWriter(onCommit: { _ in }, verifyFiles: verifyFiles)
    }

    @Test func aWriterThatIsNotRunningFailsWritesAtOnce() async throws {
        let writer = Self.writer()
        await #expect(throws: StoreError.unavailable) { try await writer.write { _ in 1 } }
        try await withTemporaryDirectory { directory in
            try await writer.start { try SQLiteConnection(path: "\(directory)/db.sqlite") }
            #expect(try await writer.write { _ in 2 } == 2)
            await writer.stop()
        }
        await #expect(throws: StoreError.unavailable, "after the stop") { try await writer.write { _ in 3 } }
    }

    @Test func aFullDatabaseIsStorageFull() async throws {
        // SQLite's own page limit gives the SQLITE_FULL that ENOSPC gives (the integration test fills a
        // real file system).
        let writer = Self.writer()
        try await withTemporaryDirectory { directory in
            try await writer.start {
                let connection = try SQLiteConnection(path: "\(directory)/db.sqlite")
                try connection.execute("CREATE TABLE t (x TEXT); PRAGMA max_page_count = 3")
                return connection
            }
            await #expect(throws: StoreError.storageFull) {
                try await writer.write {
                    try $0.run("INSERT INTO t VALUES (?1)", .text(String(repeating: "x", count: 9000)))
                }
            }
            let fitting = try await writer.write { connection in
                try connection.run("INSERT INTO t VALUES ('small')")
                return connection.changes
            }
            #expect(fitting == 1, "writes that fit go on")
            await writer.stop()
        }
    }

    @Test func aCommitIntoAFileLostMeanwhileIsAFailedWrite() async throws {
        let lost = Atomic<Bool>(false)
        let writer = Self.writer { () throws(StoreError) in if lost.load(ordering: .relaxed) { throw .fileLost } }
        try await withTemporaryDirectory { directory in
            try await writer.start { try SQLiteConnection(path: "\(directory)/db.sqlite") }
            #expect(try await writer.write { _ in 1 } == 1)
            // Lost while the transaction runs: its commit went into a file that is not at the path.
            await #expect(throws: StoreError.fileLost) {
                try await writer.write { _ in lost.store(true, ordering: .relaxed) }
            }
            await #expect(throws: StoreError.fileLost, "and every write after") { try await writer.write { _ in 3 } }
            await writer.stop()
        }
    }

    @Test func theFilesTellDeletedAndReplaced() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/db.sqlite"
            let connection = try SQLiteConnection(path: path)
            try connection.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (x)")
            let losses = Atomic<Int>(0)
            let files = DatabaseFiles(path: path) { losses.add(1, ordering: .relaxed) }
            try files.verify()
            try files.record()
            try files.verify()
            #expect(!files.isLost)

            // A copy renamed over the file: the same bytes, another inode.
            let copy = "\(directory)/copy.sqlite"
            #expect(link(path, copy) == 0 && unlink(path) == 0)
            let fd = open(path, O_CREAT | O_WRONLY, 0o644)
            close(fd)
            #expect(throws: StoreError.fileLost) { try files.verify() }
            #expect(files.isLost)
            unlink(path)
            #expect(rename(copy, path) == 0, "the very file back at its path")
            #expect(throws: StoreError.fileLost, "a loss lasts") { try files.verify() }
            #expect(losses.load(ordering: .relaxed) == 1, "reported once")
        }
    }

    @Test func aDeletedWriteAheadLogIsALoss() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/db.sqlite"
            let connection = try SQLiteConnection(path: path)
            try connection.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (x)")
            let files = DatabaseFiles(path: path) {}
            try files.record()
            unlink(path + "-wal")
            #expect(throws: StoreError.fileLost) { try files.verify() }
        }
    }

    @Test func aLinkedDatabasesLogIsWatchedBesideItsTarget() async throws {
        try await withTemporaryDirectory { directory in
            let target = "\(directory)/target.sqlite"
            let link = "\(directory)/db.sqlite"
            #expect(symlink(target, link) == 0)
            let connection = try SQLiteConnection(path: link)
            try connection.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (x)")
            let files = DatabaseFiles(path: link) {}
            try files.record()
            try files.verify()
            unlink(target + "-wal")
            #expect(throws: StoreError.fileLost) { try files.verify() }
        }
    }

    @Test func requestsBeforeTheDatabaseOpensAre503AtOnce() async throws {
        try await withBackendStore { client, _, _ in
            let created = await create(client)
            #expect(created.status == .serviceUnavailable && created.errorCode == "database_unavailable")
            #expect(created.headers[.retryAfter] == "1")
            let listed = await client.execute(.get, "/api/v1/entries")
            #expect(listed.status == .serviceUnavailable && listed.errorCode == "database_unavailable")
            #expect(await client.execute(.get, "/api/v1/entries/1").errorCode == "database_unavailable")
        }
    }

    @Test func aDeletedDatabaseGetsNo201() async throws {
        try await withBackendStore { client, store, path in
            try await store.open(seedEntries: 0)
            #expect(await create(client).status == .created)
            unlink(path)
            let refused = await create(client)
            #expect(refused.status == .serviceUnavailable && refused.errorCode == "database_file_lost")
            #expect(await client.execute(.get, "/api/v1/entries").errorCode == "database_file_lost")
            #expect(await client.execute(.get, "/readyz").errorMessage == SQLiteEntryStore.fileLostReason)
            let lines = await client.execute(.get, "/metrics").bodyText.split(separator: "\n")
            #expect(lines.contains(#"db_write_errors_total{reason="file_lost"} 1"#))
        }
    }

    @Test func aFailedOpenSaysWhyAndCanBeTriedAgain() async throws {
        try await withBackendStore { client, store, path in
            #expect(mkdir(path, 0o755) == 0, "a directory where the file belongs: SQLite cannot open it")
            await #expect(throws: SQLiteError.self) { try await store.open(seedEntries: 0) }
            let readiness = await client.execute(.get, "/readyz").errorMessage ?? ""
            #expect(readiness.hasPrefix("database not open: SQLite error 14"), "\(readiness)")
            #expect(await create(client).errorCode == "database_unavailable")
            rmdir(path)
            try await store.open(seedEntries: 0)
            #expect(await client.execute(.get, "/readyz").status == .ok)
            #expect(await create(client).status == .created)
        }
    }

    @Test func eachStoreErrorHasItsOwnAnswer() {
        let answers = [StoreError.busy, .unavailable, .storageFull, .fileLost].map(EntryRoutes.httpError)
        #expect(answers.map(\.status.code) == [503, 503, 507, 503])
        #expect(answers.map(\.code) == ["database_busy", "database_unavailable", "storage_full", "database_file_lost"])
        #expect(answers[2].status.reasonPhrase == "Insufficient Storage")
    }
}
