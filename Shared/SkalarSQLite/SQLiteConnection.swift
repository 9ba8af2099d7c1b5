import CSQLite

/// One SQLite connection with a cache of prepared statements.
///
/// A connection is used by one thread at a time (SQLite is built serialized here, but sharing a
/// connection would serialize its users); the owner decides which thread that is.
public final class SQLiteConnection {
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// How a connection opens its file.
    public enum OpenMode: Sendable {
        /// Reads only, and never writes the file, whatever it holds.
        case readOnly
        /// Reads and writes an existing file. SQLite opens a file it may not write read-only instead of
        /// failing: `isReadOnly` tells.
        case readWrite
        /// As `readWrite`, creating the file when it does not exist.
        case readWriteCreate
    }

    /// Opens the database at `path`.
    public init(path: String, mode: OpenMode = .readWriteCreate) throws(SQLiteError) {
        var handle: OpaquePointer?
        let access =
            switch mode {
            case .readOnly: SQLITE_OPEN_READONLY
            case .readWrite: SQLITE_OPEN_READWRITE
            case .readWriteCreate: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
            }
        let status = sqlite3_open_v2(path, &handle, access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            let systemErrno = handle.map { sqlite3_system_errno($0) } ?? 0
            sqlite3_close_v2(handle)
            throw SQLiteError(code: status, message: message, systemErrno: systemErrno)
        }
        self.handle = handle
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Waits up to `timeout` for another connection's lock before failing with SQLITE_BUSY.
    public func setBusyTimeout(_ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        sqlite3_busy_timeout(handle, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard status == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: status, message: message, systemErrno: sqlite3_system_errno(handle))
        }
    }

    /// Runs a statement that returns no rows, with `values` bound to `?1`, `?2`, ….
    public func run(_ sql: String, _ values: SQLiteValue...) throws(SQLiteError) {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values)
        while try statement.step() {}
    }

    /// Every row of a query, each turned into a value by `transform`.
    public func rows<Row>(
        _ sql: String, _ values: SQLiteValue..., transform: (SQLiteRow) throws -> Row
    ) throws -> [Row] {
        let statement = try prepared(sql)
        // Resetting ends the statement's read transaction; a statement left mid-result would pin an old
        // snapshot of the database for every later read on this connection.
        defer { statement.reset() }
        try statement.bind(values)
        var rows: [Row] = []
        while try statement.step() { rows.append(try transform(SQLiteRow(statement: statement))) }
        return rows
    }

    /// The first row of a query, if any.
    public func firstRow<Row>(
        _ sql: String, _ values: SQLiteValue..., transform: (SQLiteRow) throws -> Row
    ) throws -> Row? {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values)
        return try statement.step() ? transform(SQLiteRow(statement: statement)) : nil
    }

    /// The statement for `sql`, compiled on first use and cached for the connection's life.
    private func prepared(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw lastError(status) }
        let prepared = SQLiteStatement(handle: statement, connection: self)
        statements[sql] = prepared
        return prepared
    }

    /// Runs `body` in a transaction that takes the write lock at once (BEGIN IMMEDIATE), committing when
    /// it returns and rolling back when it throws.
    public func writeTransaction<Result>(_ body: () throws -> Result) throws -> Result {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The value of a single-integer pragma such as `user_version`.
    public func integerPragma(_ name: String) throws -> Int64 {
        try firstRow("PRAGMA \(name)") { $0.int64(at: 0) } ?? 0
    }

    /// Whether writes must fail: the connection was opened `.readOnly`, or SQLite could only open the
    /// file for reading (its mode, its owner, a read-only mount).
    public var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    /// False outside a transaction, also after SQLite rolled one back by itself (as it may on SQLITE_FULL,
    /// SQLITE_IOERR, SQLITE_BUSY or SQLITE_NOMEM).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    func lastError(_ status: Int32) -> SQLiteError {
        SQLiteError(
            code: status, message: String(cString: sqlite3_errmsg(handle)), systemErrno: sqlite3_system_errno(handle))
    }
}
