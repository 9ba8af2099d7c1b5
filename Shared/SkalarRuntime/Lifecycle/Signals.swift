import Glibc

/// SIGTERM and SIGINT, blocked in every thread and taken synchronously by the main thread, so no code
/// ever runs inside a signal handler.
///
/// Another thread of the process can end the main thread's wait early with `wakeUp(_:)`: it sends the
/// main thread the first real-time signal, blocked and waited for with the shutdown signals. The main
/// thread thus wakes at once, without polling, and the other thread never ends the process itself.
public enum ShutdownSignals {
    /// What ended a wait.
    public enum Arrival: Sendable, Equatable {
        /// SIGTERM or SIGINT.
        case signal(Int32)
        /// `wakeUp(_:)`, called by another thread of this process.
        case wakeUp
    }

    private static var wakeUpSignal: Int32 { __libc_current_sigrtmin() }

    private static var set: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, wakeUpSignal)
        return set
    }

    /// Blocks the shutdown signals; call before any thread starts so that every thread inherits the mask.
    /// Also ignores SIGPIPE: a peer that closes early must give EPIPE, not kill the process.
    public static func block() {
        var mask = set
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Waits up to `timeout` (forever when nil) for a shutdown signal or a wake-up; nil when the time ran
    /// out. A wake-up signal that another process sent is ignored.
    public static func wait(timeout: Duration?) -> Arrival? {
        var mask = set
        var info = siginfo_t()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            let received: Int32
            if let deadline {
                var remaining = timespec(deadline - .now)
                received = sigtimedwait(&mask, &info, &remaining)
            } else {
                received = sigwaitinfo(&mask, &info)
            }
            if received == wakeUpSignal {
                if info._sifields._kill.si_pid == getpid() { return .wakeUp }
            } else if received > 0 {
                return .signal(received)
            } else if errno != EINTR {
                return nil
            }
        }
    }

    /// Ends `thread`'s current or next `wait` with `.wakeUp`.
    public static func wakeUp(_ thread: pthread_t) {
        pthread_kill(thread, wakeUpSignal)
    }

    public static func name(_ signal: Int32) -> String {
        signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "signal \(signal)"
    }
}
