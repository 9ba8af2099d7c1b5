import Synchronization

/// The fixed set of event loops a process serves on; one per usable CPU unless configured otherwise.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)

    public init(count: Int) {
        precondition(count > 0, "an event loop group needs at least one loop")
        loops = (0..<count).map { EventLoop(index: $0) }
    }

    /// Starts every loop's thread; set-up done on the bases before this call is visible to the loops.
    /// `Service.run()` does this for services; other programs (the load generator) call it themselves.
    public func start() {
        for loop in loops { loop.start() }
    }

    /// The caller's own loop when it runs on one, otherwise the next loop in turn.
    public func preferredLoop() -> EventLoop {
        if let current = EventLoop.current, loops.contains(where: { $0 === current }) { return current }
        let index = nextIndex.add(1, ordering: .relaxed).oldValue
        return loops[index % loops.count]
    }

    /// Waits until every loop's thread has finished.
    func join() {
        for loop in loops { loop.join() }
    }

    /// Stops every loop, waits for its thread and frees what it holds: its events, loop-local state, wake
    /// pipe and, with the last reference to the loop, its base. For tests and other code that outlives its
    /// loops; a service's loops run until the process exits.
    ///
    /// Each loop is stopped by a task on that loop, so the callback it is in finishes first; work queued
    /// after the stop never runs. Call once, after `start()`, from a thread that is none of the loops'.
    package func shutdown() {
        if let current = EventLoop.current {
            precondition(!loops.contains { $0 === current }, "a loop group cannot be shut down from one of its loops")
        }
        for loop in loops {
            Task(executorPreference: loop) { loop.stop() }
        }
        join()
        for loop in loops { loop.close() }
    }
}
