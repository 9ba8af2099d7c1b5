/// One segment of a route pattern: literal text, or a `{name}` that captures a whole segment.
enum RouteSegment: Equatable {
    case literal(String)
    case parameter(String)

    /// Splits a pattern such as `/api/v1/entries/{id}` into segments; rejects malformed patterns.
    static func parse(pattern: String) -> [RouteSegment] {
        precondition(pattern.hasPrefix("/"), "route pattern \(pattern) must start with /")
        return pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") {
                let name = String(part.dropFirst().dropLast())
                precondition(!name.isEmpty, "route pattern \(pattern) has an empty parameter name")
                return .parameter(name)
            }
            precondition(!part.contains("{") && !part.contains("}"), "route pattern \(pattern) is malformed")
            return .literal(String(part))
        }
    }
}
