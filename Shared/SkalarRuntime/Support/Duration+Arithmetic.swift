extension Duration {
    /// The duration in whole milliseconds, rounded down, for messages and logs that state milliseconds.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds, with fractions, for arithmetic with rates and for display.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The time from `start` to `end`, two readings of `MonotonicClock.nanoseconds()`.
    public static func elapsed(since start: UInt64, until end: UInt64 = MonotonicClock.nanoseconds()) -> Duration {
        .nanoseconds(Int64(bitPattern: end &- start))
    }
}
