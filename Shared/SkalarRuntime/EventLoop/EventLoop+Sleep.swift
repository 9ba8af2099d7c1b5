import CLibEvent
import Glibc

extension EventLoop {
    /// Suspends the calling task for `milliseconds` with a libevent timer on this loop, so the task
    /// resumes on the loop without a trip through Swift's global executor.
    public func sleep(milliseconds: Int) async {
        guard milliseconds > 0 else { return }
        guard inEventLoop else {
            await withTaskExecutorPreference(self) { await self.sleep(milliseconds: milliseconds) }
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiter = Unmanaged.passRetained(SleepingTask(continuation)).toOpaque()
            // libevent measures timeouts from the loop's cached time, which may trail the real time.
            event_base_update_cache_time(base)
            var delay = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
            event_base_once(base, -1, Int16(EV_TIMEOUT), sleepTimerFired, waiter, &delay)
        }
    }
}

private final class SleepingTask {
    let continuation: CheckedContinuation<Void, Never>
    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
}

private func sleepTimerFired(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<SleepingTask>.fromOpaque(argument!).takeRetainedValue().continuation.resume()
}
