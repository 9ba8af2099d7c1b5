import HTTPTypes

/// Compresses responses with gzip when the client accepts it and it pays off.
struct ResponseCompression: Sendable {
    /// Bodies smaller than this go out as they are: below about a kilobyte gzip saves too little to
    /// be worth its CPU, and tiny bodies can even grow.
    static let minimumBytes = 1024

    func apply(to response: inout Response, for request: Request) {
        // Below the threshold a response never varies by Accept-Encoding, so it needs no Vary either.
        guard response.body.count >= Self.minimumBytes, let contentType = response.headers[.contentType],
              Self.isCompressible(contentType) else { return }
        response.headers[.vary] = "Accept-Encoding"
        guard request.method != .head, response.headers[.contentEncoding] == nil,
              let acceptEncoding = request.headers[.acceptEncoding], Self.acceptsGzip(acceptEncoding),
              let compressed = Gzip.compress(response.body), compressed.count < response.body.count
        else { return }
        response.body = compressed
        response.headers[.contentEncoding] = "gzip"
    }

    static func isCompressible(_ contentType: String) -> Bool {
        var mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        while mediaType.last == UInt8(ascii: " ") { mediaType = mediaType.dropLast() }
        func matches(_ candidate: StaticString, prefixOnly: Bool = false) -> Bool {
            let expected = UnsafeBufferPointer(start: candidate.utf8Start, count: candidate.utf8CodeUnitCount)
            guard prefixOnly ? mediaType.count >= expected.count : mediaType.count == expected.count else { return false }
            return zip(mediaType, expected).allSatisfy { $0 | 0x20 == $1 | 0x20 }
        }
        return matches("text/", prefixOnly: true) || matches("application/json") || matches("application/javascript")
            || matches("image/svg+xml") || matches("application/xml")
    }

    /// True when `gzip` (or `*`) is listed without `q=0`.
    static func acceptsGzip(_ header: String) -> Bool {
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "*" else { continue }
            let rejected = parts.dropFirst().contains { $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.00" || $0 == "q=0.000" }
            return !rejected
        }
        return false
    }
}
