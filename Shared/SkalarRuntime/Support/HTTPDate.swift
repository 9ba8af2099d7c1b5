import Glibc

/// The `Date` header's IMF-fixdate (RFC 9110 §5.6.7), made once per second per caller.
struct HTTPDate {
    private var second: time_t = -1
    private(set) var text = ""

    /// The current date; formats only when the second has changed.
    mutating func now() -> String {
        var current = time(nil)
        guard current != second else { return text }
        second = current
        var parts = tm()
        gmtime_r(&current, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        text =
            "\(days[Int(parts.tm_wday)]), \(Self.twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(Self.twoDigits(parts.tm_hour)):\(Self.twoDigits(parts.tm_min)):"
            + "\(Self.twoDigits(parts.tm_sec)) GMT"
        return text
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
