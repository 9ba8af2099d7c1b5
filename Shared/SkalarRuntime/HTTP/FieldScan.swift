import HTTPTypes

/// What `RequestHeadParser` gathers from the fields that frame a request or steer its connection:
/// `Content-Length`, `Transfer-Encoding`, `Host`, `Connection` and `Expect`.
struct FieldScan {
    let maxBodyBytes: Int
    private(set) var close = false
    private(set) var keepAlive = false
    private(set) var expectsContinue = false
    private var length: Int?
    private var lengthTooLarge = false
    private var transferEncodings = 0
    private var chunkedCodings = 0
    private var lastCodingIsChunked = false
    private var unsupportedCoding = false
    private var hosts = 0

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    mutating func note(
        name: UnsafeRawBufferPointer.SubSequence, value: UnsafeRawBufferPointer.SubSequence
    ) throws(HTTPError) {
        switch name.count {
        case 4 where HTTPSyntax.equalsIgnoringCase(name, "host"):
            hosts += 1
            guard value.allSatisfy(RequestHeadParser.isHostByte) else {
                throw HTTPError.badRequest("the Host field is not a host and port", code: "invalid_host")
            }
        case 14 where HTTPSyntax.equalsIgnoringCase(name, "content-length"):
            for member in Self.members(of: value) { try noteLength(member) }
        case 17 where HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding"):
            transferEncodings += 1
            for member in Self.members(of: value) where !member.isEmpty {
                if HTTPSyntax.equalsIgnoringCase(member, "chunked") {
                    chunkedCodings += 1
                    lastCodingIsChunked = true
                } else {
                    unsupportedCoding = true
                    lastCodingIsChunked = false
                }
            }
        case 10 where HTTPSyntax.equalsIgnoringCase(name, "connection"):
            for member in Self.members(of: value) {
                if HTTPSyntax.equalsIgnoringCase(member, "close") { close = true }
                if HTTPSyntax.equalsIgnoringCase(member, "keep-alive") { keepAlive = true }
            }
        case 6 where HTTPSyntax.equalsIgnoringCase(name, "expect"):
            guard HTTPSyntax.equalsIgnoringCase(value, "100-continue") else {
                throw HTTPError(
                    .expectationFailed, code: "expectation_failed", message: "only Expect: 100-continue is supported")
            }
            expectsContinue = true
        default:
            break
        }
    }

    /// RFC 9112 §3.2: HTTP/1.1 needs exactly one `Host`; no version may send two.
    func checkHost(minorVersion: Int) throws(HTTPError) {
        guard hosts <= 1, minorVersion == 0 || hosts == 1 else {
            throw HTTPError.badRequest("an HTTP/1.1 request carries exactly one Host field", code: "invalid_host")
        }
    }

    /// RFC 9112 §6.1-§6.3: chunked must be the one and final coding, never with a length, never in HTTP/1.0.
    func framing(minorVersion: Int) throws(HTTPError) -> BodyFraming {
        if transferEncodings > 0 {
            guard minorVersion >= 1 else {
                throw Self.invalidFraming("Transfer-Encoding is not part of HTTP/1.0")
            }
            guard length == nil, !lengthTooLarge else {
                throw Self.invalidFraming("a request has Content-Length or Transfer-Encoding, not both")
            }
            guard !unsupportedCoding else {
                throw HTTPError(
                    .notImplemented, code: "unsupported_transfer_coding",
                    message: "chunked is the only transfer coding supported")
            }
            guard chunkedCodings == 1, lastCodingIsChunked else {
                throw Self.invalidFraming("chunked must be applied exactly once, last")
            }
            return .chunked
        }
        if lengthTooLarge { throw Self.bodyTooLarge(maxBodyBytes) }
        guard let length, length > 0 else { return .none }
        return .length(length)
    }

    static func bodyTooLarge(_ maxBodyBytes: Int) -> HTTPError {
        HTTPError(.contentTooLarge, code: "body_too_large", message: "request body exceeds \(maxBodyBytes) bytes")
    }

    private mutating func noteLength(_ member: UnsafeRawBufferPointer.SubSequence) throws(HTTPError) {
        guard !member.isEmpty, member.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw Self.invalidFraming("Content-Length must be a decimal number")
        }
        var value = 0
        var tooLarge = false
        for digit in member {
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
            if value > maxBodyBytes {
                tooLarge = true
                value = maxBodyBytes + 1
            }
        }
        // Equal repeats are one length (RFC 9112 §6.3). Lengths past the limit all count as one: refused by size.
        if let length, length != value || tooLarge != lengthTooLarge {
            throw Self.invalidFraming("Content-Length fields disagree")
        }
        length = value
        lengthTooLarge = tooLarge
    }

    /// The members of a comma-separated list, each without surrounding whitespace.
    private static func members(
        of value: UnsafeRawBufferPointer.SubSequence
    ) -> [UnsafeRawBufferPointer.SubSequence] {
        value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { member in
            var member = member
            while let byte = member.first, HTTPSyntax.isWhitespace(byte) { member = member.dropFirst() }
            while let byte = member.last, HTTPSyntax.isWhitespace(byte) { member = member.dropLast() }
            return member
        }
    }

    private static func invalidFraming(_ message: String) -> HTTPError {
        HTTPError.badRequest(message, code: "invalid_framing")
    }
}
