import Glibc
import SkalarRuntime

/// Runs `body` with the path of a new, empty directory under `$TMPDIR` (or `/tmp`) and removes the
/// directory and the files in it afterwards, also when `body` throws. Made for files such as a SQLite
/// database and its `-wal` and `-shm` companions; subdirectories are not removed.
public func withTemporaryDirectory<Result>(_ body: (String) async throws -> Result) async rethrows -> Result {
    let base = ConfigurationReader.processEnvironment("TMPDIR") ?? "/tmp"
    var template = Array("\(base)/skalar-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
        preconditionFailure("cannot make a temporary directory in \(base): \(String(cString: strerror(errno)))")
    }
    let path = String(cString: made)
    defer { removeDirectory(path) }
    return try await body(path)
}

private func removeDirectory(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(nulTerminated: bytes.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { unlink("\(path)/\(name)") }
        }
        closedir(directory)
    }
    rmdir(path)
}
