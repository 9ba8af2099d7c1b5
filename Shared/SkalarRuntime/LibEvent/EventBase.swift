import CLibEvent
import Glibc

/// One libevent `event_base`, run by exactly one thread.
///
/// This folder is the runtime's only contact with libevent: everything above it speaks Swift types.
/// Every `LoopEvent` and `DNSResolver` made on a base holds it, so the base is freed only after the last
/// of them: `event_free` or `evdns_base_free` on a freed base would touch freed memory.
final class EventBase {
    let pointer: OpaquePointer

    init() {
        guard let config = event_config_new() else { fatalError("event_config_new failed") }
        // Each base is used by exactly one thread, so libevent's internal locking is dead weight.
        event_config_set_flag(config, Int32(EVENT_BASE_FLAG_NOLOCK.rawValue))
        // Linux's coarse monotonic clock (libevent's default) ticks every few milliseconds, which makes
        // timeouts and fault delays fire early or late by that much.
        event_config_set_flag(config, Int32(EVENT_BASE_FLAG_PRECISE_TIMER.rawValue))
        guard let base = event_base_new_with_config(config) else { fatalError("event_base_new failed") }
        event_config_free(config)
        pointer = base
    }

    deinit {
        event_base_free(pointer)
    }

    /// Runs callbacks on the calling thread until `stop()`, even while no event is pending.
    func run() {
        event_base_loop(pointer, EVLOOP_NO_EXIT_ON_EMPTY)
    }

    /// Makes `run()` return after the current callback; call on the base's thread.
    func stop() {
        event_base_loopbreak(pointer)
    }

    /// Runs `action` once, `delay` from now, on the base's thread.
    func after(_ delay: Duration, run action: @escaping () -> Void) {
        let context = Unmanaged.passRetained(OnceAction(action)).toOpaque()
        refreshCachedTime()
        var timeout = timeval(delay)
        // With a plain timeout, libevent fails only when it cannot allocate the event. Running the action
        // at once instead would turn a sleep or an injected delay into none and hide the failure, so the
        // process stops where the cause is visible.
        guard event_base_once(pointer, -1, Int16(EV_TIMEOUT), onceActionFired, context, &timeout) == 0 else {
            fatalError("event_base_once failed: libevent could not allocate a one-shot timer")
        }
    }

    /// libevent measures a new timeout from the time it cached at the start of the current callback
    /// round, which trails the real time by however long the round has run so far.
    func refreshCachedTime() {
        event_base_update_cache_time(pointer)
    }
}

private final class OnceAction {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

private func onceActionFired(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<OnceAction>.fromOpaque(argument!).takeRetainedValue().run()
}
