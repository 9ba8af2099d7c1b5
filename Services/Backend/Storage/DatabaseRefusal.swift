import Glibc
import SkalarRuntime
import SkalarSQLite

/// Why the file at `DATABASE_PATH` is one the backend must not use, whatever the wait: not an SQLite
/// database, damaged, another program's, newer than this build, or read-only for this process.
///
/// Such a file stops the backend at start-up with exit status 2 and one line, as a bad setting does: in
/// Kubernetes the pod goes into CrashLoopBackOff with the reason in its log, where waiting for readiness
/// would hide it. Passing faults (a lock another process holds, a full disk, an I/O error) are not
/// refusals: start-up retries those with readiness failed.
struct DatabaseRefusal: Error, CustomStringConvertible {
    let description: String

    /// Looks at the file at `path` without changing it: nil when the backend may use it, when there is no
    /// file yet, or when a passing fault hides what it holds (start-up then retries and looks again).
    static func check(path: String, migrator: SQLiteMigrator) -> DatabaseRefusal? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        if (status.st_mode & S_IFMT) == S_IFDIR { return DatabaseRefusal(description: "it is a directory") }
        do {
            // Read-only, so even a hot journal of another program's is not rolled back.
            _ = try migrator.inspect(SQLiteConnection(path: path, mode: .readOnly))
            // SQLite opens a file it may not write for reading instead of failing.
            if try SQLiteConnection(path: path, mode: .readWrite).isReadOnly { return .readOnly }
        } catch {
            return refusal(for: error)
        }
        return nil
    }

    /// The refusal that an error met while opening or inspecting the database stands for; nil for a
    /// passing fault.
    static func refusal(for error: any Error) -> DatabaseRefusal? {
        switch error {
        case let refusal as DatabaseRefusal:
            return refusal
        case let refusal as SQLiteMigrator.Refusal:
            return DatabaseRefusal(description: "it is not a Skalar database: \(refusal)")
        case let error as SQLiteError where error.isNotADatabase:
            return DatabaseRefusal(description: "it is not an SQLite database")
        case let error as SQLiteError where error.isCorrupt:
            return DatabaseRefusal(description: "it is a damaged SQLite database (\(error.message))")
        case let error as SQLiteError where [EACCES, EPERM].contains(error.systemErrno):
            return DatabaseRefusal(description: "this process may not read it (\(error))")
        default:
            return nil
        }
    }

    static let readOnly = DatabaseRefusal(
        description: "the file is read-only for this process (its mode, its owner or a read-only mount)")

    /// The start-up error line's form: `invalid DATABASE_PATH="…": expected …, but <why>`.
    func configurationError(variable: String, path: String) -> ConfigurationError {
        ConfigurationError(
            variable: variable, value: path,
            accepted: "a Skalar SQLite database or a path for a new one, but \(description)")
    }
}
