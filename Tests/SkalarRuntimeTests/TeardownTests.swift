import Glibc
import SkalarRuntime
import SkalarTesting
import Testing

/// A stopped test service leaves nothing behind: its loop's thread has ended, and its descriptors (the
/// base's epoll and timer, the wake pipe, the resolver's sockets) are closed.
@Suite struct TeardownTests {
    @Test func aStoppedServiceLeavesNoThreadOrDescriptor() async {
        await withNoOtherTestService {
            await withClosedLoopbackPort { refusing in
                let before = Census()
                var loopThread = ""
                await withTestService(configuration: .testing(service: "teardown")) { service in
                    // A refused call still makes the loop's connection pool and its resolver.
                    let client = HTTPClient(
                        endpoint: refusing, timeout: .seconds(2), loops: service.loops, metrics: nil)
                    #expect(await service.start().execute(.get, "/healthz").status == .ok)
                    #expect((try? await client.send(.get, "/")) == nil)
                    loopThread = await Task(executorPreference: service.loop) { Census.currentThread() }.value
                    let running = Census()
                    #expect(!before.liveThreads.contains(loopThread) && running.liveThreads.contains(loopThread))
                    // At least the epoll and timer descriptors and the wake pipe's two ends.
                    #expect(running.descriptors.count >= before.descriptors.count + 4)
                }
                let after = Census()
                #expect(!after.liveThreads.contains(loopThread))
                #expect(after.descriptors == before.descriptors)
            }
        }
    }
}

/// The process's live threads and its descriptors of the kinds an event loop opens, from `/proc`.
private struct Census {
    /// Thread ids from `/proc/self/task`, without threads that are exiting: `pthread_join` returns when
    /// the thread has left user space, and the kernel may list it a moment longer.
    let liveThreads: Set<String>
    /// Descriptor number and target (`pipe:[…]`, `socket:[…]`, `anon_inode:[eventpoll]`, …) from
    /// `/proc/self/fd`; regular files and directories are left out, as other tests open and close those.
    let descriptors: [String: String]

    init() {
        liveThreads = Set(Self.entries(of: "/proc/self/task").filter(Self.isLive))
        var descriptors: [String: String] = [:]
        for entry in Self.entries(of: "/proc/self/fd") {
            guard let target = Self.link("/proc/self/fd/\(entry)") else { continue }
            let loopKinds = ["pipe:", "socket:", "anon_inode:[eventpoll]", "anon_inode:[timerfd]"]
            if loopKinds.contains(where: target.hasPrefix) { descriptors[entry] = target }
        }
        self.descriptors = descriptors
    }

    /// The calling thread's id, as `/proc/self/task` lists it.
    static func currentThread() -> String {
        String(link("/proc/thread-self")?.split(separator: "/").last ?? "")
    }

    private static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(nulTerminated: bytes.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = readlink(path, &buffer, buffer.count - 1)
        return length < 0 ? nil : String(nulTerminated: buffer)
    }

    /// Whether the thread exists and has not begun to exit (the kernel's PF_EXITING flag, the ninth field
    /// of its `stat`, is set before `pthread_join` can return).
    private static func isLive(_ thread: String) -> Bool {
        guard let file = fopen("/proc/self/task/\(thread)/stat", "r") else { return false }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 1024)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return false }
        let stat = String(nulTerminated: buffer)
        // The name in parentheses may hold spaces; the fields after it are plain numbers.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 6, let flags = UInt(fields[6]) else { return false }
        let exiting: UInt = 0x4
        return flags & exiting == 0
    }
}
