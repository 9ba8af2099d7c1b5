import HTTPTypes

/// Writes HTTP/1.1 response heads for one loop: the status line, the response's fields, the framing and
/// the contract's headers, with a `Date` it formats once per second.
struct ResponseHeadWriter {
    let appVersion: String
    private var date = HTTPDate()

    init(appVersion: String) {
        self.appVersion = appVersion
    }

    /// RFC 9110 §15.2, §15.3.5, §15.4.5: these statuses end at their head, with no content and no length.
    static func hasNoContent(_ status: HTTPResponse.Status) -> Bool {
        status.code < 200 || status.code == 204 || status.code == 304
    }

    /// The head of `response`. `contentLength` is the body's length (also for HEAD, whose body is not
    /// sent); `connection` is the `Connection` field to send, if any.
    mutating func head(
        for response: Response, contentLength: Int, requestID: String, connection: String?
    ) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(256)
        head.append(contentsOf: "HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n".utf8)
        for field in response.headers { Self.append(field.name.rawName, field.value, to: &head) }
        if !Self.hasNoContent(response.status) { Self.append("Content-Length", String(contentLength), to: &head) }
        Self.append(HTTPField.Name.appVersion.rawName, appVersion, to: &head)
        Self.append(HTTPField.Name.requestID.rawName, requestID, to: &head)
        Self.append("Date", date.now(), to: &head)
        if let connection { Self.append("Connection", connection, to: &head) }
        head.append(HTTPSyntax.cr)
        head.append(HTTPSyntax.lf)
        return head
    }

    private static func append(_ name: String, _ value: String, to head: inout [UInt8]) {
        head.append(contentsOf: name.utf8)
        head.append(UInt8(ascii: ":"))
        head.append(HTTPSyntax.space)
        head.append(contentsOf: value.utf8)
        head.append(HTTPSyntax.cr)
        head.append(HTTPSyntax.lf)
    }
}
