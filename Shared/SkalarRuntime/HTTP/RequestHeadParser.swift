import HTTPTypes

/// Reads an HTTP/1.x request head strictly (RFC 9112 §2-§7, RFC 9110 §5.5). Whatever two parsers could read
/// differently is refused, so that a proxy in front and this server never disagree on where a request ends:
/// whitespace before a colon, folded lines, bare CR or LF, NUL and other controls, two lengths, a length
/// with chunking, chunking in HTTP/1.0, and a missing or repeated `Host`.
package struct RequestHeadParser: Sendable {
    /// A declared `Content-Length` above this is refused before its body is read.
    package var maxBodyBytes: Int
    /// More header fields than this get 431.
    package var maxFieldCount: Int

    package init(maxBodyBytes: Int, maxFieldCount: Int) {
        self.maxBodyBytes = maxBodyBytes
        self.maxFieldCount = maxFieldCount
    }

    /// Parses `head`: the request line and the field lines, each but the last ended by CRLF, without the
    /// empty line that ends the section. Throws the error the client gets; every one of them closes the
    /// connection, since the rest of the stream can no longer be framed.
    package func parse(_ head: UnsafeRawBufferPointer) throws(HTTPError) -> RequestHead {
        var lines = HeadLines(head)
        guard let requestLine = try lines.next() else { throw Self.malformedLine("empty request line") }
        let (method, target, minorVersion) = try Self.requestLine(requestLine)
        var fields = FieldScan(maxBodyBytes: maxBodyBytes)
        var headers = HTTPFields()
        var count = 0
        while let line = try lines.next() {
            count += 1
            guard count <= maxFieldCount else {
                throw HTTPError(
                    HTTPResponse.Status(code: 431), code: "too_many_header_fields",
                    message: "more than \(maxFieldCount) header fields")
            }
            let (name, value) = try Self.field(line)
            try fields.note(name: name, value: value)
            headers.append(HTTPField(name: HTTPField.Name(String(decoding: name, as: UTF8.self))!, value: value))
        }
        let (path, query, authority) = try Self.target(target, method: method)
        try fields.checkHost(minorVersion: minorVersion)
        if let authority { headers[.host] = authority }
        return RequestHead(
            method: method, path: path, query: query, minorVersion: minorVersion, headers: headers,
            framing: try fields.framing(minorVersion: minorVersion),
            keepAlive: minorVersion >= 1 ? !fields.close : fields.keepAlive && !fields.close,
            expectsContinue: fields.expectsContinue)
    }

    // MARK: Request line

    private static func requestLine(
        _ line: UnsafeRawBufferPointer.SubSequence
    ) throws(HTTPError) -> (HTTPRequest.Method, UnsafeRawBufferPointer.SubSequence, Int) {
        guard let firstSpace = line.firstIndex(of: HTTPSyntax.space),
            let secondSpace = line[(firstSpace + 1)...].firstIndex(of: HTTPSyntax.space)
        else { throw malformedLine("a request line is method, target and version, one space apart") }
        let methodBytes = line[..<firstSpace]
        let target = line[(firstSpace + 1)..<secondSpace]
        let version = line[(secondSpace + 1)...]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(HTTPSyntax.isTokenCharacter) else {
            throw malformedLine("the method is not a token")
        }
        let minorVersion = try Self.minorVersion(version)
        guard let method = knownMethod(methodBytes) else {
            throw HTTPError(
                .notImplemented, code: "method_not_implemented",
                message: "the method \(String(decoding: methodBytes, as: UTF8.self)) is not implemented")
        }
        guard !target.isEmpty, target.allSatisfy(HTTPSyntax.isTargetByte) else {
            throw HTTPError.badRequest(
                "the request target must be visible ASCII without spaces or controls", code: "invalid_target")
        }
        return (method, target, minorVersion)
    }

    private static func minorVersion(_ version: UnsafeRawBufferPointer.SubSequence) throws(HTTPError) -> Int {
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard version.count == 8, version.starts(with: versionPrefix),
            case let major = version[version.startIndex + 5], digits.contains(major),
            version[version.startIndex + 6] == UInt8(ascii: "."),
            case let minor = version[version.startIndex + 7], digits.contains(minor)
        else { throw malformedLine("the version must be HTTP/1.0 or HTTP/1.1") }
        guard major == UInt8(ascii: "1") else {
            throw HTTPError(
                .httpVersionNotSupported, code: "version_not_supported",
                message: "only HTTP/1.x is served on this port")
        }
        return Int(minor - UInt8(ascii: "0"))
    }

    private static let versionPrefix = Array("HTTP/".utf8)

    /// The methods of RFC 9110 and PATCH, the most frequent first; any other is answered 501 (RFC 9110 §9.1).
    private static let knownMethods: [(name: [UInt8], method: HTTPRequest.Method)] = [
        HTTPRequest.Method.get, .post, .head, .put, .delete, .options, .patch, .trace, .connect,
    ].map { (Array($0.rawValue.utf8), $0) }

    private static func knownMethod(_ bytes: UnsafeRawBufferPointer.SubSequence) -> HTTPRequest.Method? {
        knownMethods.first { bytes.elementsEqual($0.name) }?.method
    }

    /// The path, the query and, for the absolute form, the authority that replaces `Host` (RFC 9112 §3.2).
    private static func target(
        _ target: UnsafeRawBufferPointer.SubSequence, method: HTTPRequest.Method
    ) throws(HTTPError) -> (path: String, query: String, authority: String?) {
        let text = String(decoding: target, as: UTF8.self)
        if target.first == UInt8(ascii: "/") {
            let (path, query) = split(text)
            return (path, query, nil)
        }
        if method == .connect { return (text, "", nil) }
        if method == .options, text == "*" { return (text, "", nil) }
        for scheme in ["http://", "https://"]
        where text.utf8.count > scheme.utf8.count
            && text.lowercased().hasPrefix(scheme)
        {
            let rest = text.dropFirst(scheme.count)
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            let authority = String(rest[..<authorityEnd])
            guard !authority.isEmpty, authority.utf8.allSatisfy(isHostByte) else { break }
            let (path, query) = split(String(rest[authorityEnd...]))
            return (path.isEmpty ? "/" : path, query, authority)
        }
        throw HTTPError.badRequest(
            "the request target must be a path, an absolute http(s) URI, or * for OPTIONS", code: "invalid_target")
    }

    private static func split(_ target: String) -> (path: String, query: String) {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, "") }
        return (String(target[..<mark]), String(target[target.utf8.index(after: mark)...]))
    }

    // MARK: Field lines

    private static func field(
        _ line: UnsafeRawBufferPointer.SubSequence
    ) throws(HTTPError) -> (UnsafeRawBufferPointer.SubSequence, UnsafeRawBufferPointer.SubSequence) {
        guard let first = line.first, !HTTPSyntax.isWhitespace(first) else {
            throw malformedField("a field line starts with its name; folded lines are not accepted")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw malformedField("a field line has no colon")
        }
        let name = line[..<colon]
        guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isTokenCharacter) else {
            throw malformedField("a field name is a token, with no whitespace before the colon")
        }
        var value = line[(colon + 1)...]
        while let byte = value.first, HTTPSyntax.isWhitespace(byte) { value = value.dropFirst() }
        while let byte = value.last, HTTPSyntax.isWhitespace(byte) { value = value.dropLast() }
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            throw malformedField("a field value contains NUL, CR, LF or another control character")
        }
        return (name, value)
    }

    /// A byte that may appear in `Host`. RFC 3986's reg-name is narrower, but Envoy's active health
    /// checks send the cluster's name, and names such as `outbound|8080||backend-service` carry `|`. What
    /// is refused is what would change where the authority ends: whitespace, `/`, backslash, `?`, `#` and `@`.
    static func isHostByte(_ byte: UInt8) -> Bool {
        HTTPSyntax.isTargetByte(byte) && !hostDelimiters.contains(byte)
    }

    private static let hostDelimiters = Array("/\\?#@".utf8)

    private static func malformedLine(_ message: String) -> HTTPError {
        HTTPError.badRequest(message, code: "malformed_request_line")
    }

    private static func malformedField(_ message: String) -> HTTPError {
        HTTPError.badRequest(message, code: "malformed_header")
    }
}

/// The lines of a head, split at CRLF; a CR that no LF follows is an error (RFC 9112 §2.2).
private struct HeadLines {
    private let head: UnsafeRawBufferPointer
    private var position = 0
    private var finished = false

    init(_ head: UnsafeRawBufferPointer) {
        self.head = head
    }

    mutating func next() throws(HTTPError) -> UnsafeRawBufferPointer.SubSequence? {
        guard !finished else { return nil }
        let start = position
        while position < head.count {
            if head[position] == HTTPSyntax.cr {
                guard position + 1 < head.count, head[position + 1] == HTTPSyntax.lf else {
                    throw HTTPError.badRequest("a CR not followed by LF", code: "malformed_header")
                }
                let line = head[start..<position]
                position += 2
                return line
            }
            position += 1
        }
        finished = true
        return head[start..<position]
    }
}
