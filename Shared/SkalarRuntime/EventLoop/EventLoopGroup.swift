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
}
