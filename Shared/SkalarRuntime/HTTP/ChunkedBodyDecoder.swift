/// Decodes a chunked body (RFC 9112 §7.1) as its bytes arrive, and stops at the body limit: a body larger
/// than the limit is refused as soon as the chunk sizes announce it, before its data is read.
/// Chunk extensions are ignored; trailer fields are read and dropped.
package struct ChunkedBodyDecoder: Sendable {
    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailer
        case done
    }

    /// Longest chunk-size line (with extensions) and longest trailer section.
    package static let maxLineBytes = 4096

    private let maxBodyBytes: Int
    private let maxTrailerBytes: Int
    private var state = State.size
    private var trailerBytes = 0

    package init(maxBodyBytes: Int, maxTrailerBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    package var isFinished: Bool {
        if case .done = state { return true }
        return false
    }

    /// Decodes what it can of `input`, appending data to `body`; returns how many bytes of `input` it
    /// used. Bytes it did not use are an incomplete line: call again with them and more.
    package mutating func decode(_ input: UnsafeRawBufferPointer, into body: inout [UInt8]) throws(HTTPError) -> Int {
        var position = 0
        while position < input.count {
            switch state {
            case .done:
                return position
            case let .data(remaining):
                let count = min(remaining, input.count - position)
                body.append(contentsOf: input[position..<(position + count)])
                position += count
                state = remaining == count ? .dataEnd : .data(remaining: remaining - count)
            case .dataEnd:
                guard input.count - position >= 2 else { return position }
                guard input[position] == HTTPSyntax.cr, input[position + 1] == HTTPSyntax.lf else {
                    throw Self.malformed("chunk data is not followed by CRLF")
                }
                position += 2
                state = .size
            case .size, .trailer:
                guard let lineEnd = Self.lineEnd(in: input, from: position) else {
                    if input.count - position > Self.maxLineBytes { throw Self.malformed("a chunk line is too long") }
                    return position
                }
                let line = input[position..<lineEnd]
                position = lineEnd + 2
                if case .size = state {
                    try startChunk(line, bodyCount: body.count)
                } else {
                    try readTrailerLine(line)
                }
            }
        }
        return position
    }

    private mutating func startChunk(
        _ line: UnsafeRawBufferPointer.SubSequence, bodyCount: Int
    ) throws(HTTPError) {
        var size = 0
        var digits = 0
        var index = line.startIndex
        while index < line.endIndex, let digit = HTTPSyntax.hexValue(line[index]) {
            size = size * 16 + digit
            digits += 1
            if size > maxBodyBytes - bodyCount { throw FieldScan.bodyTooLarge(maxBodyBytes) }
            index += 1
        }
        guard digits > 0 else { throw Self.malformed("a chunk size is hexadecimal digits") }
        // Only an extension may follow the size, after optional whitespace (chunk-ext, RFC 9112 §7.1.1).
        var rest = line[index...]
        while let byte = rest.first, HTTPSyntax.isWhitespace(byte) { rest = rest.dropFirst() }
        guard rest.isEmpty && index == line.endIndex || rest.first == UInt8(ascii: ";") else {
            throw Self.malformed("a chunk size is followed by nothing or by an extension")
        }
        guard rest.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            throw Self.malformed("a chunk extension contains a control character")
        }
        state = size == 0 ? .trailer : .data(remaining: size)
    }

    private mutating func readTrailerLine(_ line: UnsafeRawBufferPointer.SubSequence) throws(HTTPError) {
        if line.isEmpty {
            state = .done
            return
        }
        trailerBytes += line.count + 2
        guard trailerBytes <= maxTrailerBytes else { throw Self.malformed("the trailer section is too large") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[..<colon].allSatisfy(HTTPSyntax.isTokenCharacter),
            line[(colon + 1)...].allSatisfy(HTTPSyntax.isFieldValueByte)
        else { throw Self.malformed("a trailer field is malformed") }
    }

    /// The index of the CR of the first CRLF at or after `start`; a bare CR or LF before it is malformed
    /// and left for the line's own check, which refuses it.
    private static func lineEnd(in input: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < input.count {
            if input[index] == HTTPSyntax.cr, input[index + 1] == HTTPSyntax.lf { return index }
            index += 1
        }
        return nil
    }

    private static func malformed(_ message: String) -> HTTPError {
        HTTPError.badRequest(message, code: "malformed_chunk")
    }
}
