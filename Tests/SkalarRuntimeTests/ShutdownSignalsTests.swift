import Glibc
import Synchronization
import Testing

@testable import SkalarRuntime

@Suite struct ShutdownSignalsTests {
    /// A failed start-up wakes the main thread through `wakeUp`; here a thread of its own, with the
    /// signals blocked as `Service.run()` blocks them, plays the main thread.
    @Test func aWakeUpEndsTheWaitAndATimeoutEndsItEmpty() async {
        let arrivals = Mutex<[ShutdownSignals.Arrival?]>([])
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let started = SystemThread.start {
                ShutdownSignals.block()
                ShutdownSignals.wakeUp(pthread_self())
                let woken = ShutdownSignals.wait(timeout: .seconds(30))
                let timedOut = ShutdownSignals.wait(timeout: .milliseconds(10))
                arrivals.withLock { $0 = [woken, timedOut] }
                finished.resume()
            }
            if case let .success(thread) = started { thread.detach() } else { finished.resume() }
        }
        #expect(arrivals.withLock { $0 } == [.wakeUp, nil])
    }
}
