import Testing

@testable import SkalarRuntime

@Suite struct JSONTests {
    @Test func roundTripsADocument() throws {
        let text = #"{"a":[1,-2.5,true,false,null],"b":{"c":"d\n\"e\" \u00e9 😀"}}"#
        let value = try JSONValue.parse(text)
        #expect(value["b"]?["c"]?.stringValue == "d\n\"e\" é 😀")
        #expect(try JSONValue.parse(value.serialized) == value)
    }

    @Test func escapesControlCharactersAndLineSeparators() {
        #expect(JSONValue.string("a\u{01}b\u{2028}").serialized == #""a\u0001b\u2028""#)
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"", "{\"a\":1,\"a\":2}",
        "1 2", "\"\u{01}\"", "[\"\\u12\"]", "1e999",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func limitsNesting() throws {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        _ = try JSONValue.parse(fine)
    }

    @Test func formatsWholeNumbersWithoutFraction() {
        #expect(JSONValue.number(3).serialized == "3")
        #expect(JSONValue.number(0.25).serialized == "0.25")
        #expect(JSONValue.number(.infinity).serialized == "null")
    }
}
