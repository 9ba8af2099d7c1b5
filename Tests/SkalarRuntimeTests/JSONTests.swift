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
        // 64 levels are read, the 65th is not.
        _ = try JSONValue.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64))
        #expect(
            reason(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) == "nesting deeper than 64")
    }

    /// Why `text` was refused, or nil when it parsed.
    private func reason(_ text: String, limits: JSONLimits = .standard) -> String? {
        do {
            _ = try JSONValue.parse(text, limits: limits)
            return nil
        } catch {
            return error.reason
        }
    }

    /// `{"k0":0,"k1":0,…}` with `count` members.
    private func object(members count: Int, value: String = "0") -> String {
        "{" + (0..<count).map { "\"k\($0)\":\(value)" }.joined(separator: ",") + "}"
    }

    private static let small = JSONLimits(maximumDepth: 3, maximumMembersPerObject: 2, maximumValues: 5)

    @Test func limitsMembersPerObject() throws {
        #expect(JSONLimits.standard.maximumMembersPerObject == 1000)
        let full = try JSONValue.parse(object(members: 1000))
        guard case let .object(members) = full else { throw Failure() }
        #expect(members.count == 1000 && members.last?.0 == "k999")
        #expect(reason(object(members: 1001)) == "more than 1000 members in an object")
        #expect(reason(#"{"a":1,"b":2}"#, limits: Self.small) == nil)
        #expect(reason(#"{"a":1,"b":2,"c":3}"#, limits: Self.small) == "more than 2 members in an object")
        // The cap is per object: two objects of two members each are fine.
        #expect(
            reason(
                #"{"a":{"x":1,"y":2},"b":3}"#,
                limits: JSONLimits(maximumDepth: 3, maximumMembersPerObject: 2, maximumValues: 99)) == nil)
    }

    @Test func limitsValuesPerDocument() throws {
        #expect(JSONLimits.standard.maximumValues == 10_000)
        let array = { (count: Int) in "[" + Array(repeating: "0", count: count).joined(separator: ",") + "]" }
        _ = try JSONValue.parse(array(9_999), limits: .standard)
        #expect(reason(array(10_000)) == "more than 10000 values", "the array is a value too")
        // Every kind counts: objects, arrays, strings, numbers and literals.
        #expect(reason(#"[{},[],"s",1,true]"#, limits: Self.small) == "more than 5 values")
        #expect(reason(#"[{},[],"s",1]"#, limits: Self.small) == nil)
        // Member names are not values; member values are.
        #expect(reason(#"{"a":1,"b":[2,3]}"#, limits: Self.small) == nil)
        #expect(reason(#"{"a":1,"b":[2,3,4]}"#, limits: Self.small) == "more than 5 values")
        // Objects within the member cap, but many of them.
        let objects = "[" + Array(repeating: object(members: 1000), count: 11).joined(separator: ",") + "]"
        #expect(reason(objects) == "more than 10000 values")
    }

    @Test func theLimitsErrorSaysWhere() {
        do {
            _ = try JSONValue.parse(#"{"a":1,"b":2,"c":3}"#, limits: Self.small)
            Issue.record("three members were read")
        } catch {
            #expect(error.offset == 13, "the start of the member past the cap")
        }
    }

    @Test func findsDuplicatesAmongManyMembersInLinearTime() throws {
        // 130,000 distinct names: comparing each with every earlier one took 34 s; a set takes a fraction
        // of a second even in a debug build. The bound is generous so a busy machine cannot miss it.
        let many = JSONLimits(maximumDepth: 64, maximumMembersPerObject: 200_000, maximumValues: 200_001)
        let names = object(members: 130_000)
        let clock = ContinuousClock()
        let start = clock.now
        guard case let .object(members) = try JSONValue.parse(names, limits: many) else { throw Failure() }
        #expect(members.count == 130_000)
        let duplicated = String(names.dropLast()) + #","k0":1}"#
        #expect(reason(duplicated, limits: many) == #"duplicate member "k0""#)
        #expect(clock.now - start < .seconds(10))
    }

    @Test func duplicatesAreCanonicallyEquivalentNames() {
        #expect(reason(#"{"a":1,"\u0061":2}"#) == #"duplicate member "a""#)
        // Swift compares strings by canonical equivalence, and the set hashes the same way.
        #expect(reason("{\"\u{E9}\":1,\"e\u{301}\":2}") != nil)
    }

    private struct Failure: Error {}

    @Test func formatsWholeNumbersWithoutFraction() {
        #expect(JSONValue.number(3).serialized == "3")
        #expect(JSONValue.number(0.25).serialized == "0.25")
        #expect(JSONValue.number(.infinity).serialized == "null")
    }
}
