import Glibc

/// SIGTERM and SIGINT, blocked in every thread and taken synchronously by the main thread, so no code
/// ever runs inside a signal handler.
public enum ShutdownSignals {
    private static var set: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }

    /// Blocks the shutdown signals; call before any thread starts so that every thread inherits the mask.
    /// Also ignores SIGPIPE: a peer that closes early must give EPIPE, not kill the process.
    public static func block() {
        var mask = set
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Waits up to `milliseconds` (forever when nil) for a shutdown signal; returns it, or nil on timeout.
    public static func wait(milliseconds: Int?) -> Int32? {
        var mask = set
        guard let milliseconds else {
            var signal: Int32 = 0
            while sigwait(&mask, &signal) != 0 {}
            return signal
        }
        var timeout = timespec(.milliseconds(milliseconds))
        while true {
            let result = sigtimedwait(&mask, nil, &timeout)
            if result > 0 { return result }
            if errno == EINTR { continue }
            return nil
        }
    }

    public static func name(_ signal: Int32) -> String {
        signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "signal \(signal)"
    }
}
