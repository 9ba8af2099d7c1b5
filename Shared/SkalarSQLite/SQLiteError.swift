import CSQLite
import Glibc

/// A failed SQLite call: the result code, SQLite's message, and the `errno` of the system call that failed,
/// when one did.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    /// `sqlite3_system_errno` at the failure: 0 when no system call failed.
    public let systemErrno: Int32

    public init(code: Int32, message: String, systemErrno: Int32 = 0) {
        self.code = code
        self.message = message
        self.systemErrno = systemErrno
    }

    private var primaryCode: Int32 { code & 0xFF }

    /// SQLITE_BUSY or SQLITE_LOCKED: another connection holds a lock past the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// The file system has no room: SQLITE_FULL (SQLite's name for ENOSPC on a write), or an I/O error
    /// whose system call failed with ENOSPC or EDQUOT (a quota, which SQLite reports as SQLITE_IOERR).
    public var isStorageFull: Bool {
        primaryCode == SQLITE_FULL || (primaryCode == SQLITE_IOERR && [ENOSPC, EDQUOT].contains(systemErrno))
    }

    /// SQLITE_NOTADB: the file does not start with SQLite's header.
    public var isNotADatabase: Bool { primaryCode == SQLITE_NOTADB }

    /// SQLITE_CORRUPT: an SQLite file whose content is damaged.
    public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT }

    public var description: String {
        let system = systemErrno == 0 ? "" : " (\(String(cString: strerror(systemErrno))))"
        return "SQLite error \(code): \(message)\(system)"
    }
}
