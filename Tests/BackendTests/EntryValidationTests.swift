import HTTPTypes
import SkalarRuntime
import Testing

@testable import Backend

@Suite struct EntryValidationTests {
    private func request(_ body: String, contentType: String? = "application/json") -> Request {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Request(method: .post, path: "/api/v1/entries", headers: headers, body: Array(body.utf8), id: "test")
    }

    /// The error `draft(from:)` throws for `body`, or nil when it accepts it.
    private func rejection(_ body: String, contentType: String? = "application/json") -> HTTPError? {
        do {
            _ = try EntryValidation.draft(from: request(body, contentType: contentType))
            return nil
        } catch {
            return error
        }
    }

    /// The `fields` member of a 422, in the order the problems were found.
    private func problems(_ body: String) -> JSONValue? {
        guard let error = rejection(body) else { return nil }
        #expect(error.status == .unprocessableContent && error.code == "validation_failed")
        return error.details.first { $0.0 == "fields" }?.1
    }

    private static let valid = #"{"author":"Ada","message":"Hi"}"#

    @Test func acceptsJSONWhateverItsCaseAndParameters() throws {
        for contentType in ["application/json", "Application/JSON; charset=utf-8", " application/json ; x=y"] {
            let draft = try EntryValidation.draft(from: request(Self.valid, contentType: contentType))
            #expect(draft == EntryDraft(author: "Ada", message: "Hi"), "\(contentType)")
        }
    }

    @Test func refusesOtherMediaTypes() {
        for contentType in ["text/plain", "application/jsonx", "application/x-www-form-urlencoded", nil] {
            let error = rejection(Self.valid, contentType: contentType)
            #expect(error?.status == .unsupportedMediaType, "\(contentType ?? "none")")
            #expect(error?.code == "unsupported_media_type", "\(contentType ?? "none")")
        }
    }

    @Test func refusesWhatIsNotAJSONObject() {
        let broken = rejection("{\"author\":")
        #expect(broken?.status == .badRequest && broken?.code == "invalid_json")
        #expect(broken?.message.hasPrefix("body is not valid JSON: ") == true)
        for body in ["[]", "\"entry\"", "null"] {
            let error = rejection(body)
            #expect(error?.code == "invalid_json" && error?.message == "body must be a JSON object", "\(body)")
        }
    }

    @Test func trimsUnicodeWhiteSpace() throws {
        let body = #"{"author":"\u00a0 Ada\u3000","message":"\n  two\nlines \t"}"#
        let draft = try EntryValidation.draft(from: request(body))
        #expect(draft == EntryDraft(author: "Ada", message: "two\nlines"))
    }

    @Test func invisibleCharactersAreTrimmedLikeWhiteSpace() throws {
        // Zero-width space and non-joiner, joiner, word joiner, byte-order mark, bidi controls, Hangul filler.
        for invisible in [
            #"\u200b"#, #"\u200c"#, #"\u200d"#, #"\u2060"#, #"\ufeff"#, #"\u202e"#, #"\u2066"#, #"\u3164"#,
        ] {
            #expect(
                problems(#"{"author":"\#(invisible)","message":"m"}"#) == ["author": "must not be empty"],
                "\(invisible)")
            #expect(
                problems(#"{"author":"a","message":" \#(invisible)\n"}"#) == ["message": "must not be empty"],
                "\(invisible)")
        }
        #expect(
            problems(#"{"author":"\u200b\u200c\u200d\u2060\ufeff \u00a0\u202a\u202c\u2069","message":"m"}"#)
                == ["author": "must not be empty"])
        let trimmed = try EntryValidation.draft(
            from: request(#"{"author":"\u200b Ada\ufeff","message":"\u2060hi\u200b"}"#))
        #expect(trimmed == EntryDraft(author: "Ada", message: "hi"))
        // Inside the text they stay: the joiner is part of this emoji, the override part of what was written.
        let family = "\u{1F469}\u{200D}\u{1F467}"
        let kept = try EntryValidation.draft(from: request(#"{"author":"\#(family)","message":"a\u202eb"}"#))
        #expect(kept == EntryDraft(author: family, message: "a\u{202E}b"))
    }

    @Test func listsEveryBrokenField() {
        #expect(
            problems(#"{"author":1,"message":null,"extra":true}"#) == [
                "author": "must be a string", "message": "must be a string", "extra": "unknown field",
            ])
        #expect(problems("{}") == ["author": "is required", "message": "is required"])
        #expect(
            problems(#"{"author":"   ","message":"\u3000"}"#) == [
                "author": "must not be empty", "message": "must not be empty",
            ])
    }

    @Test func lengthsCountCodePoints() throws {
        // "é" precomposed is one code point (two UTF-8 bytes); decomposed it is two, as SQLite's length() counts.
        let precomposed = String(repeating: "\u{E9}", count: 64)
        let accepted = try EntryValidation.draft(from: request(#"{"author":"\#(precomposed)","message":"m"}"#))
        #expect(accepted.author == precomposed)
        #expect(
            problems(#"{"author":"\#(precomposed)\u00e9","message":"m"}"#) == [
                "author": "must be at most 64 characters"
            ])
        let decomposed = String(repeating: "e\u{301}", count: 33)
        #expect(problems(#"{"author":"\#(decomposed)","message":"m"}"#) == ["author": "must be at most 64 characters"])

        let longest = String(repeating: "x", count: 2000)
        #expect(try EntryValidation.draft(from: request(#"{"author":"a","message":"\#(longest)"}"#)).message == longest)
        #expect(problems(#"{"author":"a","message":"\#(longest)x"}"#) == ["message": "must be at most 2000 characters"])
    }

    @Test func controlCharactersAreRefusedButMessagesMayBreakLines() throws {
        #expect(problems(#"{"author":"a\nb","message":"m"}"#) == ["author": "must not contain control characters"])
        let multiline = try EntryValidation.draft(from: request(#"{"author":"a","message":"line\nline"}"#))
        #expect(multiline.message == "line\nline")
        for control in [#"\t"#, #"\r"#, #"\u007f"#, #"\u0000"#] {
            #expect(
                problems(#"{"author":"a","message":"x\#(control)y"}"#) == [
                    "message": "must not contain control characters other than newline"
                ], "\(control)")
        }
    }
}
