/// Checks on header values, kept apart from the code that uses them so they can be fuzzed alone.
public enum HeaderValues {
    /// Whether a `Content-Type` names a text-like type worth compressing.
    public static func isCompressible(_ contentType: String) -> Bool {
        var mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        while mediaType.last == UInt8(ascii: " ") { mediaType = mediaType.dropLast() }
        func matches(_ candidate: StaticString, prefixOnly: Bool = false) -> Bool {
            let expected = UnsafeBufferPointer(start: candidate.utf8Start, count: candidate.utf8CodeUnitCount)
            guard prefixOnly ? mediaType.count >= expected.count : mediaType.count == expected.count else {
                return false
            }
            return zip(mediaType, expected).allSatisfy { $0 | 0x20 == $1 | 0x20 }
        }
        return matches("text/", prefixOnly: true) || matches("application/json") || matches("application/javascript")
            || matches("image/svg+xml") || matches("application/xml")
    }

    /// The media type of a `Content-Type`, lower-cased and without its parameters (`text/plain` for
    /// `Text/Plain; charset=utf-8`).
    public static func mediaType(_ contentType: String) -> String {
        (contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingWhitespace().lowercased()
    }

    /// Whether a `Content-Type` names JSON: `application/json`, or a structured `application/…+json` type
    /// such as `application/problem+json` (RFC 6839), whatever its parameters.
    public static func isJSON(_ contentType: String) -> Bool {
        let type = mediaType(contentType)
        guard type.hasPrefix("application/") else { return false }
        let subtype = type.dropFirst("application/".count)
        return subtype == "json"
            || (subtype.count > "+json".count && subtype.hasSuffix("+json") && !subtype.contains(" ")
                && !subtype.contains("/"))
    }

    /// True when an `Accept-Encoding` lists `gzip` (or `*`) without `q=0`.
    public static func acceptsGzip(_ header: String) -> Bool {
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "*" else { continue }
            let rejected = parts.dropFirst().contains {
                $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.00" || $0 == "q=0.000"
            }
            return !rejected
        }
        return false
    }

    /// Whether a client's `X-Request-Id` is safe to keep: 1 to 128 visible ASCII characters.
    public static func isAcceptableRequestID(_ id: String) -> Bool {
        let utf8 = id.utf8
        return !utf8.isEmpty && utf8.count <= 128 && utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}
