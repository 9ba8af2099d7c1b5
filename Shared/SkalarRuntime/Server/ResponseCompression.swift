import HTTPTypes

/// Compresses responses with gzip when the client accepts it and it pays off.
struct ResponseCompression: Sendable {
    /// Bodies smaller than this go out as they are: below about a kilobyte gzip saves too little to
    /// be worth its CPU, and tiny bodies can even grow.
    static let minimumBytes = 1024

    func apply(to response: inout Response, acceptEncoding: String?, method: HTTPRequest.Method) {
        guard let contentType = response.headers[.contentType], Self.isCompressible(contentType) else { return }
        response.headers[.vary] = "Accept-Encoding"
        guard method != .head, response.body.count >= Self.minimumBytes,
              response.headers[.contentEncoding] == nil,
              let acceptEncoding, Self.acceptsGzip(acceptEncoding),
              let compressed = Gzip.compress(response.body), compressed.count < response.body.count
        else { return }
        response.body = compressed
        response.headers[.contentEncoding] = "gzip"
    }

    static func isCompressible(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
        return type.hasPrefix("text/") || type == "application/json" || type == "application/javascript"
            || type == "image/svg+xml" || type == "application/xml"
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
