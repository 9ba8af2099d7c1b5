/// A descriptor that a module outside the runtime (the PostgreSQL client) waits on with its loop's own
/// libevent events, so that its I/O runs on the loop's thread like the runtime's own: no thread of its
/// own, no hop. Each readiness it asked for calls back on the loop, as often as the descriptor is ready.
///
/// Loop-local: make it, change it and drop it on its loop only. Drop it before the descriptor is closed,
/// so that libevent never watches a number the kernel may already have handed to another socket.
package final class DescriptorWatch {
    package let descriptor: Int32
    private let readEvent: LoopEvent
    private let writeEvent: LoopEvent
    private var watchingReadable = false
    private var watchingWritable = false

    package init(
        descriptor: Int32, on loop: EventLoop, readable: @escaping () -> Void, writable: @escaping () -> Void
    ) {
        precondition(loop.inEventLoop, "a descriptor is watched on its own loop")
        self.descriptor = descriptor
        readEvent = .readable(descriptor, on: loop.base, action: readable)
        writeEvent = .writable(descriptor, on: loop.base, action: writable)
    }

    /// Which readiness calls back from now on; false for both stops the watching.
    package func watch(readable: Bool, writable: Bool) {
        if readable != watchingReadable {
            if readable { readEvent.watch() } else { readEvent.cancel() }
            watchingReadable = readable
        }
        if writable != watchingWritable {
            if writable { writeEvent.watch() } else { writeEvent.cancel() }
            watchingWritable = writable
        }
    }
}

/// A one-shot timer on a loop, for deadlines and back-off outside the runtime: `schedule(after:)` arms
/// it (again), `cancel()` disarms it, and its action runs on the loop's thread. Loop-local, like
/// `DescriptorWatch`; dropping it disarms it.
package final class LoopTimer {
    private let event: LoopEvent

    package init(on loop: EventLoop, action: @escaping () -> Void) {
        precondition(loop.inEventLoop, "a loop's timer is made on its loop")
        event = .timer(on: loop.base, action: action)
    }

    /// Fires once, `delay` from now, replacing an earlier arming.
    package func schedule(after delay: Duration) {
        event.schedule(after: delay)
    }

    package func cancel() {
        event.cancel()
    }
}
