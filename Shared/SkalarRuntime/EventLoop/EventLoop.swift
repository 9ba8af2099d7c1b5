import Glibc
import Synchronization

/// One libevent `event_base` driven by one thread, which is also a Swift `TaskExecutor`.
///
/// Request handlers are started with `Task(executorPreference: loop)`, so their nonisolated async code runs
/// on the thread that owns the connection: no hop to the global pool, no lock around libevent. A job
/// enqueued from the loop's own thread is appended to a plain array and picked up by a drain event that
/// the loop fires by hand; a job from any other thread goes through a mutex-protected queue and a
/// self-pipe.
///
/// Everything marked "loop-local" below may only be touched on the loop's thread.
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    /// How often each loop proves it is alive; `/healthz` compares against this.
    static let heartbeatInterval = Duration.milliseconds(250)

    /// Position of this loop in its group, used in logs and as a shard index.
    public let index: Int
    let base = EventBase()

    // Loop-local.
    private var localJobs: [UnownedJob] = []
    private var drainScheduled = false
    private var drainEvent: LoopEvent!
    private var wakeEvent: LoopEvent!
    private var heartbeatEvent: LoopEvent!
    /// The runtime's own per-loop random source: request ids and fault sampling.
    let requestIDs = RequestIDGenerator()
    /// Per-loop state of components (listeners' metric handles, connection pools, database connections).
    private var localState: [ObjectIdentifier: AnyObject] = [:]

    // Shared across threads.
    private let remoteJobs = Mutex<[UnownedJob]>([])
    private let wakePipe = WakePipe()
    private let threadID = Atomic<UInt>(0)
    private let lastHeartbeatNanos = Atomic<UInt64>(0)
    private var thread: SystemThread?

    init(index: Int) {
        self.index = index
        drainEvent = LoopEvent.manual(on: base) { [unowned self] in self.runLocalJobs() }
        wakeEvent = LoopEvent.readable(wakePipe.readEnd, on: base) { [unowned self] in self.runRemoteJobs() }
        heartbeatEvent = LoopEvent.timer(on: base, repeating: true) { [unowned self] in self.beat() }
        wakeEvent.watch()
        heartbeatEvent.schedule(after: Self.heartbeatInterval)
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
                drainEvent.activate()
            }
        } else {
            let wasEmpty = remoteJobs.withLock { jobs in
                jobs.append(job)
                return jobs.count == 1
            }
            if wasEmpty { wakePipe.wake() }
        }
    }

    /// Time since the loop last ran its heartbeat timer (monotonic clock).
    var timeSinceHeartbeat: Duration {
        let now = MonotonicClock.nanoseconds()
        let last = lastHeartbeatNanos.load(ordering: .relaxed)
        return now > last ? .elapsed(since: last, until: now) : .zero
    }

    private func beat() {
        lastHeartbeatNanos.store(MonotonicClock.nanoseconds(), ordering: .relaxed)
    }

    private func runLocalJobs() {
        drainScheduled = false
        let jobs = localJobs
        localJobs.removeAll(keepingCapacity: true)
        let executor = asUnownedTaskExecutor()
        for job in jobs { job.runSynchronously(on: executor) }
    }

    private func runRemoteJobs() {
        wakePipe.drain()
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
        switch SystemThread.start({ self.runOnThisThread() }) {
        case let .success(thread): self.thread = thread
        case let .failure(error): fatalError("cannot start event loop \(index): \(error)")
        }
    }

    private func runOnThisThread() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        pthread_setspecific(currentLoopKey, Unmanaged.passUnretained(self).toOpaque())
        base.run()
    }

    /// Stops the loop after the current callback; call on the loop's thread.
    func stop() {
        precondition(inEventLoop)
        base.stop()
    }

    /// Waits for the loop's thread to finish.
    func join() {
        thread?.join()
    }

    /// Lets go of everything the loop made on its base, once its thread has finished: the components'
    /// loop-local state (connection pools with their resolvers, database connections), the loop's own
    /// events and the wake pipe. Their events are freed here, before the base, which goes with the last
    /// reference to the loop. Call once, after `join()`; the loop cannot run again.
    func close() {
        localState.removeAll()
        drainEvent = nil
        wakeEvent = nil
        heartbeatEvent = nil
        wakePipe.close()
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
