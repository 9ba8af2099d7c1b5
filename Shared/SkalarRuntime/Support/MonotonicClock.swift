import Glibc

/// The monotonic clock, for durations.
public enum MonotonicClock {
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Seconds since `start`, an earlier reading, as metrics record them; plain arithmetic, because the
    /// request path records one per request.
    public static func secondsSince(_ start: UInt64) -> Double {
        Double(nanoseconds() &- start) / 1e9
    }
}
