import Glibc

/// Small files of the kernel's (`/proc`, `/sys/fs/cgroup`) read without Foundation.
enum FileReading {
    /// The first line of a file, without surrounding white space; nil when it cannot be read.
    static func firstLine(of path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        return String(nulTerminated: buffer).trimmingWhitespace()
    }
}
