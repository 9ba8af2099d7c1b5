import CLibEvent

/// A libevent event on one base that runs a Swift action: a timer, a readable descriptor, or an event
/// that code on the loop fires by hand. Touch it only on its base's thread; releasing it cancels it.
final class LoopEvent {
    private var event: OpaquePointer!
    private let base: EventBase
    private let action: () -> Void

    private init(base: EventBase, descriptor: Int32, flags: Int32, action: @escaping () -> Void) {
        self.base = base
        self.action = action
        event = event_new(
            base.pointer, descriptor, Int16(flags), loopEventFired, Unmanaged.passUnretained(self).toOpaque())
    }

    /// A timer; once `schedule(after:)` is called it fires once, or every interval when `repeating`.
    static func timer(on base: EventBase, repeating: Bool = false, action: @escaping () -> Void) -> LoopEvent {
        LoopEvent(base: base, descriptor: -1, flags: repeating ? Int32(EV_PERSIST) : 0, action: action)
    }

    /// Fires whenever `descriptor` is readable, once `watch()` is called.
    static func readable(_ descriptor: Int32, on base: EventBase, action: @escaping () -> Void) -> LoopEvent {
        LoopEvent(base: base, descriptor: descriptor, flags: Int32(EV_READ | EV_PERSIST), action: action)
    }

    /// Fires whenever `descriptor` is writable, once `watch()` is called, until `cancel()`.
    static func writable(_ descriptor: Int32, on base: EventBase, action: @escaping () -> Void) -> LoopEvent {
        LoopEvent(base: base, descriptor: descriptor, flags: Int32(EV_WRITE | EV_PERSIST), action: action)
    }

    /// Fires only when `activate()` is called: in the loop's next callback round, not inside the caller.
    static func manual(on base: EventBase, action: @escaping () -> Void) -> LoopEvent {
        LoopEvent(base: base, descriptor: -1, flags: 0, action: action)
    }

    /// Arms the timer to fire `delay` from now, replacing an earlier arming.
    func schedule(after delay: Duration) {
        base.refreshCachedTime()
        var timeout = timeval(delay)
        event_add(event, &timeout)
    }

    /// Starts watching the descriptor.
    func watch() {
        event_add(event, nil)
    }

    /// Stops watching, or disarms the timer; `watch()` or `schedule(after:)` start it again.
    func cancel() {
        event_del(event)
    }

    func activate() {
        event_active(event, Int32(EV_TIMEOUT), 0)
    }

    fileprivate func fire() {
        // The action may drop the last reference to this event (a finished call frees its timer).
        withExtendedLifetime(self) { action() }
    }

    deinit {
        event_free(event)
    }
}

private func loopEventFired(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<LoopEvent>.fromOpaque(argument!).takeUnretainedValue().fire()
}
