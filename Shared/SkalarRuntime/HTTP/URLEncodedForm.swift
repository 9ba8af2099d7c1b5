/// `application/x-www-form-urlencoded` text: query strings and HTML form bodies.
public enum URLEncodedForm {
    /// The fields in order, percent-decoded (`+` as space); nil if any escape is malformed or not UTF-8.
    public static func fields(_ text: Substring) -> [(name: String, value: String)]? {
        var fields: [(name: String, value: String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(parts[0], plusAsSpace: true),
                let value = parts.count > 1 ? PercentDecoding.decode(parts[1], plusAsSpace: true) : ""
            else { return nil }
            fields.append((name, value))
        }
        return fields
    }

    /// The first value named `name`, skipping pairs that do not decode.
    public static func firstValue(named name: String, in text: Substring) -> String? {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard PercentDecoding.decode(parts[0], plusAsSpace: true) == name else { continue }
            return parts.count > 1 ? PercentDecoding.decode(parts[1], plusAsSpace: true) : ""
        }
        return nil
    }
}
