import CLibEvent
import Glibc
import Synchronization

/// One libevent `event_base` driven by one thread, which is also a Swift `TaskExecutor`.
///
/// Request handlers are started with `Task(executorPreference: loop)`, so their nonisolated async code runs
/// on the thread that owns the connection: no hop to the global pool, no lock around libevent. A job
/// enqueued from the loop's own thread is appended to a plain array and picked up by an `event_active`'d
/// drain event; a job from any other thread goes through a mutex-protected queue and a self-pipe.
///
/// Everything marked "loop-local" below may only be touched on the loop's thread.
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    /// Position of this loop in its group, used in logs and as a shard index.
    public let index: Int
    let base: OpaquePointer

    // Loop-local.
    private var localJobs: [UnownedJob] = []
    private var drainScheduled = false
    private var drainEvent: OpaquePointer!
    private var wakeEvent: OpaquePointer!
    private var heartbeatEvent: OpaquePointer!
    /// The runtime's own per-loop state, used on every request.
    let requestIDs = RequestIDGenerator()
    let metricCache = LoopMetricCache()
    /// Per-loop state of other components (connection pools, database connections), by key.
    private var localState: [ObjectIdentifier: AnyObject] = [:]

    // Shared across threads.
    private let remoteJobs = Mutex<[UnownedJob]>([])
    /// The self-pipe other threads write a byte to, waking the loop to run their jobs.
    private let wakePipe: (read: Int32, write: Int32)
    private let threadID = Atomic<UInt>(0)
    private let lastHeartbeatNanos = Atomic<UInt64>(0)
    private var thread: pthread_t?

    /// How often each loop proves it is alive; `/healthz` compares against this.
    static let heartbeatInterval = timeval(tv_sec: 0, tv_usec: 250_000)

    init(index: Int) {
        self.index = index
        guard let config = event_config_new() else { fatalError("event_config_new failed") }
        // Each base is used by exactly one thread, so libevent's internal locking is dead weight.
        event_config_set_flag(config, Int32(EVENT_BASE_FLAG_NOLOCK.rawValue))
        // Linux's coarse monotonic clock (libevent's default) ticks every few milliseconds, which makes
        // timeouts and fault delays fire early or late by that much.
        event_config_set_flag(config, Int32(EVENT_BASE_FLAG_PRECISE_TIMER.rawValue))
        guard let base = event_base_new_with_config(config) else { fatalError("event_base_new failed") }
        event_config_free(config)
        self.base = base
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "pipe failed: errno \(errno)")
        for fd in fds {
            evutil_make_socket_nonblocking(fd)
            evutil_make_socket_closeonexec(fd)
        }
        wakePipe = (fds[0], fds[1])
        let me = Unmanaged.passUnretained(self).toOpaque()
        drainEvent = event_new(base, -1, 0, eventLoopDrainCallback, me)
        wakeEvent = event_new(base, wakePipe.read, Int16(EV_READ | EV_PERSIST), eventLoopWakeCallback, me)
        heartbeatEvent = event_new(base, -1, Int16(EV_PERSIST), eventLoopHeartbeatCallback, me)
        event_add(wakeEvent, nil)
        var interval = EventLoop.heartbeatInterval
        event_add(heartbeatEvent, &interval)
        beat()
    }

    /// The loop whose thread is running the caller, if any.
    public static var current: EventLoop? {
        guard let raw = pthread_getspecific(currentLoopKey) else { return nil }
        return Unmanaged<EventLoop>.fromOpaque(raw).takeUnretainedValue()
    }

    /// A random version-4 UUID from this loop's generator (no system call, no lock); call on this loop.
    public func makeUUID() -> String {
        requestIDs.makeID()
    }

    /// Whether the caller runs on this loop's thread.
    public var inEventLoop: Bool {
        threadID.load(ordering: .relaxed) == UInt(pthread_self())
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if inEventLoop {
            localJobs.append(job)
            if !drainScheduled {
                drainScheduled = true
                event_active(drainEvent, Int32(EV_TIMEOUT), 0)
            }
        } else {
            let wasEmpty = remoteJobs.withLock { jobs in
                jobs.append(job)
                return jobs.count == 1
            }
            if wasEmpty {
                var byte: UInt8 = 1
                _ = Glibc.write(wakePipe.write, &byte, 1)
            }
        }
    }

    /// Nanoseconds since the loop last ran its heartbeat timer (monotonic clock).
    var nanosSinceHeartbeat: UInt64 {
        let now = MonotonicClock.nanoseconds()
        let last = lastHeartbeatNanos.load(ordering: .relaxed)
        return now > last ? now - last : 0
    }

    func beat() {
        lastHeartbeatNanos.store(MonotonicClock.nanoseconds(), ordering: .relaxed)
    }

    func runLocalJobs() {
        drainScheduled = false
        let jobs = localJobs
        localJobs.removeAll(keepingCapacity: true)
        let executor = asUnownedTaskExecutor()
        for job in jobs { job.runSynchronously(on: executor) }
    }

    func runRemoteJobs() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while read(wakePipe.read, &scratch, scratch.count) == scratch.count {}
        let jobs = remoteJobs.withLock { jobs in
            let taken = jobs
            jobs.removeAll(keepingCapacity: true)
            return taken
        }
        let executor = asUnownedTaskExecutor()
        for job in jobs { job.runSynchronously(on: executor) }
    }

    /// Starts the loop's thread. Anything set up on the base before this call happens-before the loop runs.
    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, eventLoopThreadMain, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        thread = handle
    }

    func runOnThisThread() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        pthread_setspecific(currentLoopKey, Unmanaged.passUnretained(self).toOpaque())
        event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY)
    }

    /// Stops the loop after the current callback; call on the loop's thread.
    func stop() {
        precondition(inEventLoop)
        event_base_loopbreak(base)
    }

    /// Waits for the loop's thread to finish.
    func join() {
        if let thread { pthread_join(thread, nil) }
    }

    /// A component's state for this loop, such as a connection or a cache, created on first use. Call only
    /// on this loop's thread (a handler always runs there); the state needs no lock because nothing else
    /// touches it.
    public func local<State: AnyObject>(_ key: ObjectIdentifier, create: () -> State) -> State {
        precondition(inEventLoop, "loop-local state is only reachable on its loop")
        if let existing = localState[key] { return unsafeDowncast(existing, to: State.self) }
        let state = create()
        localState[key] = state
        return state
    }
}

private let currentLoopKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

private func eventLoopThreadMain(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let loop = Unmanaged<EventLoop>.fromOpaque(argument!).takeRetainedValue()
    loop.runOnThisThread()
    return nil
}

private func eventLoopDrainCallback(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<EventLoop>.fromOpaque(argument!).takeUnretainedValue().runLocalJobs()
}

private func eventLoopWakeCallback(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<EventLoop>.fromOpaque(argument!).takeUnretainedValue().runRemoteJobs()
}

private func eventLoopHeartbeatCallback(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<EventLoop>.fromOpaque(argument!).takeUnretainedValue().beat()
}
