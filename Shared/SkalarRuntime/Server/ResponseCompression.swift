import HTTPTypes

/// Compresses responses with gzip when the client accepts it and it pays off.
struct ResponseCompression: Sendable {
    /// Bodies smaller than this go out as they are: below about a kilobyte gzip saves too little to
    /// be worth its CPU, and tiny bodies can even grow.
    static let minimumBytes = 1024

    func apply(to response: inout Response, for request: Request) {
        // Below the threshold a response never varies by Accept-Encoding, so it needs no Vary either.
        guard response.body.count >= Self.minimumBytes, let contentType = response.headers[.contentType],
            HeaderValues.isCompressible(contentType)
        else { return }
        response.headers[.vary] = "Accept-Encoding"
        guard request.method != .head, response.headers[.contentEncoding] == nil,
            let acceptEncoding = request.headers[.acceptEncoding], HeaderValues.acceptsGzip(acceptEncoding),
            let compressed = Gzip.compress(response.body), compressed.count < response.body.count
        else { return }
        response.body = compressed
        response.headers[.contentEncoding] = "gzip"
    }
}
