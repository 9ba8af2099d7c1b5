import HTTPTypes
import SkalarRuntime

/// The rules an entry must meet. Lengths count Unicode code points, as SQLite's `length()` and
/// PostgreSQL's `char_length()` do, so every store enforces the same limits.
enum EntryValidation {
    static let authorLength = 1...64
    static let messageLength = 1...2000

    /// Reads a `POST /api/v1/entries` body: 415 unless JSON, 400 unless a JSON object, 422 when a field
    /// breaks a rule (every broken field is listed under `fields`).
    static func draft(from request: Request) throws(HTTPError) -> EntryDraft {
        guard let contentType = request.headers[.contentType], isJSON(contentType) else {
            throw HTTPError(
                .unsupportedMediaType, code: "unsupported_media_type", message: "send the entry as application/json")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(request.body)
        } catch {
            throw HTTPError.badRequest("body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard case let .object(members) = document else {
            throw HTTPError.badRequest("body must be a JSON object", code: "invalid_json")
        }
        var problems: [(String, JSONValue)] = []
        var author: String?
        var message: String?
        for (key, value) in members {
            switch key {
            case "author":
                author = check(value, field: key, length: authorLength, allowsNewlines: false, problems: &problems)
            case "message":
                message = check(value, field: key, length: messageLength, allowsNewlines: true, problems: &problems)
            default: problems.append((key, .string("unknown field")))
            }
        }
        if !members.contains(where: { $0.0 == "author" }) { problems.append(("author", .string("is required"))) }
        if !members.contains(where: { $0.0 == "message" }) { problems.append(("message", .string("is required"))) }
        guard problems.isEmpty, let author, let message else {
            throw HTTPError(
                .unprocessableContent, code: "validation_failed", message: "the entry is not valid",
                details: [("fields", .object(problems))])
        }
        return EntryDraft(author: author, message: message)
    }

    /// The trimmed text if `value` is a string within `length` code points and free of control
    /// characters (newline allowed where `allowsNewlines`); otherwise records why not. Trimming takes
    /// invisible characters with the white space, so a name of zero-width spaces is as empty as one of
    /// blanks; inside the text they stay (a joiner inside an emoji sequence is part of it).
    private static func check(
        _ value: JSONValue, field: String, length: ClosedRange<Int>, allowsNewlines: Bool,
        problems: inout [(String, JSONValue)]
    ) -> String? {
        guard let raw = value.stringValue else {
            problems.append((field, .string("must be a string")))
            return nil
        }
        let text = raw.trimmingInvisibleEdges()
        let count = text.unicodeScalars.count
        if count < length.lowerBound {
            problems.append((field, .string("must not be empty")))
            return nil
        }
        if count > length.upperBound {
            problems.append((field, .string("must be at most \(length.upperBound) characters")))
            return nil
        }
        let forbidden = text.unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control && !(allowsNewlines && scalar == "\n")
        }
        if forbidden {
            problems.append(
                (
                    field,
                    .string(
                        allowsNewlines
                            ? "must not contain control characters other than newline"
                            : "must not contain control characters")
                ))
            return nil
        }
        return text
    }

    private static func isJSON(_ contentType: String) -> Bool {
        HeaderValues.mediaType(contentType) == "application/json"
    }
}

extension String {
    /// Without the leading and trailing characters a reader cannot see: white space, Unicode's included
    /// (no-break and ideographic spaces), and format and default-ignorable characters (zero-width space,
    /// joiners, word joiner, byte-order mark, bidi controls, Hangul fillers).
    func trimmingInvisibleEdges() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isInvisible }),
            let last = scalars.lastIndex(where: { !$0.isInvisible })
        else { return "" }
        return String(scalars[first...last])
    }
}

extension Unicode.Scalar {
    fileprivate var isInvisible: Bool {
        properties.isWhitespace || properties.isDefaultIgnorableCodePoint || properties.generalCategory == .format
    }
}
