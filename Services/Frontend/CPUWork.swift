import Glibc
import Synchronization

/// Synthetic CPU work per page or API request (`CPU_WORK_MS`), so a modest request rate drives the CPU
/// up far enough for an HPA demo to scale.
struct CPUWork: Sendable {
    let perRequest: Duration
    private static let sink = Atomic<UInt64>(0)

    /// Spins until this thread has used `perRequest` of CPU time. Measured on the thread's own CPU clock,
    /// so time the thread spends preempted does not count: the work is real CPU, as the HPA sees it.
    func burn() {
        guard perRequest > .zero else { return }
        let target = threadCPUNanoseconds() + UInt64(perRequest / .nanoseconds(1))
        var accumulator: UInt64 = 0x9E37_79B9_7F4A_7C15
        while threadCPUNanoseconds() < target {
            for _ in 0..<2000 { accumulator = accumulator &* 6_364_136_223_846_793_005 &+ 1 }
        }
        // An atomic store the optimiser cannot drop keeps the arithmetic, and so the work, in place.
        Self.sink.store(accumulator, ordering: .relaxed)
    }

    func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
