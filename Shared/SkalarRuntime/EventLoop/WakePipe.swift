import Glibc

/// The self-pipe through which other threads wake a loop: a byte written makes the read end readable.
/// Both ends are non-blocking, so a full pipe never blocks a writer (the loop is awake anyway) and
/// draining stops when it is empty.
struct WakePipe: Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    init() {
        // Glibc's Swift module does not export pipe2, so the flags are set one call at a time.
        var ends: [Int32] = [-1, -1]
        precondition(pipe(&ends) == 0, "pipe failed: \(SystemError(code: errno))")
        for end in ends {
            let flags = fcntl(end, F_GETFL)
            precondition(
                flags >= 0 && fcntl(end, F_SETFL, flags | O_NONBLOCK) == 0 && fcntl(end, F_SETFD, FD_CLOEXEC) == 0,
                "cannot make the wake pipe non-blocking and close-on-exec: \(SystemError(code: errno))")
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func drain() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &scratch, scratch.count) == scratch.count {}
    }

    /// Closes both ends, once no event watches the read end and no thread can wake the loop any more.
    func close() {
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }
}
