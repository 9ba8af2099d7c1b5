import Glibc
import Synchronization

/// The database file and its write-ahead log as the store opened them, to tell when either is no longer
/// the file at its path.
///
/// SQLite keeps writing to the files it has open. Once one is deleted, or replaced (a backup restored
/// with `cp` and `mv`), commits still succeed but land in a file that nothing will open again: they are
/// gone at the next start. So the writer asks `verify()` after each commit, before any handler answers,
/// and readiness asks it too. Two `stat` calls per transaction (one transaction carries many writes) cost
/// microseconds against the commit's fsync.
final class DatabaseFiles: Sendable {
    /// A file's identity: a file replaced at the same path has another inode, or another device.
    private struct Identity: Equatable {
        let device: UInt64
        let inode: UInt64

        init?(path: String) {
            var status = stat()
            guard stat(path, &status) == 0 else { return nil }
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
        }
    }

    let path: String
    /// The files recorded, with the log's path: SQLite puts the log beside the file a symbolic link at
    /// `path` leads to, and so does `record()`.
    private let opened = Mutex<(database: Identity, writeAheadLog: Identity, writeAheadLogPath: String)?>(nil)
    private let lost = Atomic<Bool>(false)
    /// Called once, when the loss is first seen.
    private let onLoss: @Sendable () -> Void

    init(path: String, onLoss: @escaping @Sendable () -> Void) {
        self.path = path
        self.onLoss = onLoss
    }

    /// Remembers the files that are at the path now. Call once the writer's connection has both open
    /// (the write-ahead log opens with the first transaction in WAL mode); a reopened store records anew.
    func record() throws(StoreError) {
        guard let resolved = realpath(path, nil) else { throw .fileLost }
        let writeAheadLogPath = String(cString: resolved) + "-wal"
        free(resolved)
        guard let database = Identity(path: path), let writeAheadLog = Identity(path: writeAheadLogPath) else {
            throw .fileLost
        }
        opened.withLock { $0 = (database, writeAheadLog, writeAheadLogPath) }
    }

    /// True once either file was found deleted or replaced; it stays true.
    var isLost: Bool { lost.load(ordering: .acquiring) }

    /// Throws `fileLost` when either file is no longer the one at its path. Passes while nothing was
    /// recorded yet.
    func verify() throws(StoreError) {
        if isLost { throw .fileLost }
        guard let recorded = opened.withLock({ $0 }) else { return }
        if Identity(path: path) == recorded.database
            && Identity(path: recorded.writeAheadLogPath) == recorded.writeAheadLog
        {
            return
        }
        if !lost.exchange(true, ordering: .acquiringAndReleasing) { onLoss() }
        throw .fileLost
    }
}
