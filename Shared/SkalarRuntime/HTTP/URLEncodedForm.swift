/// `application/x-www-form-urlencoded` text: query strings and HTML form bodies.
public enum URLEncodedForm {
    /// A text with more fields than this is refused as a whole. The services read two query parameters
    /// and three form fields; the cap bounds what a hostile query or form makes a handler hold and search.
    public static let maximumFields = 100

    /// Why a form or query was refused.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A name or value with a malformed `%` escape, or one that decodes to bytes that are not UTF-8.
        case undecodable
        case tooManyFields

        public var description: String {
            switch self {
            case .undecodable: return "has a name or value that is not percent-encoded UTF-8"
            case .tooManyFields: return "has more than \(URLEncodedForm.maximumFields) fields"
            }
        }
    }

    /// The fields in order, percent-decoded (`+` as space). Empty pairs (`a=1&&b=2`) are skipped. Pairs are
    /// cut at the `&` and `=` bytes, so a combining mark after one cannot hide it inside a character.
    public static func fields(_ text: Substring) throws(Failure) -> [(name: String, value: String)] {
        let utf8 = text.utf8
        var fields: [(name: String, value: String)] = []
        var start = utf8.startIndex
        while start < utf8.endIndex {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: "&")) ?? utf8.endIndex
            if start < end {
                guard fields.count < maximumFields else { throw .tooManyFields }
                fields.append(try field(utf8[start..<end]))
            }
            start = end < utf8.endIndex ? utf8.index(after: end) : end
        }
        return fields
    }

    /// One `name=value` pair; a pair without `=` has an empty value.
    private static func field(_ pair: Substring.UTF8View) throws(Failure) -> (name: String, value: String) {
        let equals = pair.firstIndex(of: UInt8(ascii: "="))
        let name = pair[..<(equals ?? pair.endIndex)]
        let value = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
        guard let name = PercentDecoding.decode(Substring(name), plusAsSpace: true),
            let value = PercentDecoding.decode(Substring(value), plusAsSpace: true)
        else { throw .undecodable }
        return (name, value)
    }
}
