import Glibc

/// Reads one setting from its command-line flag or, failing that, its environment variable; the flag
/// wins. An empty environment variable counts as unset, as Kubernetes manifests often leave them.
public struct ConfigurationReader: Sendable {
    private let environment: @Sendable (String) -> String?

    public init(environment: @escaping @Sendable (String) -> String? = ConfigurationReader.processEnvironment) {
        self.environment = environment
    }

    public static let processEnvironment: @Sendable (String) -> String? = { name in
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    public func raw(_ flag: String?, _ variable: String) -> String? {
        flag ?? environment(variable)
    }

    public func string(_ flag: String?, _ variable: String, default defaultValue: String) -> String {
        raw(flag, variable) ?? defaultValue
    }

    public func integer(
        _ flag: String?, _ variable: String, in range: ClosedRange<Int>, default defaultValue: Int
    ) throws(ConfigurationError) -> Int {
        guard let text = raw(flag, variable) else { return defaultValue }
        guard let value = Int(text.trimmingWhitespace()), range.contains(value) else {
            throw ConfigurationError(
                variable: variable, value: text,
                accepted: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    public func boolean(_ flag: String?, _ variable: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let text = raw(flag, variable) else { return defaultValue }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(variable: variable, value: text, accepted: "true or false")
        }
    }

    public func choice<Value: RawRepresentable & CaseIterable>(
        _ flag: String?, _ variable: String, default defaultValue: Value
    ) throws(ConfigurationError) -> Value where Value.RawValue == String {
        guard let text = raw(flag, variable) else { return defaultValue }
        guard let value = Value(rawValue: text.lowercased()) else {
            let names = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: variable, value: text, accepted: "one of \(names)")
        }
        return value
    }

    /// An `http://host:port` base URL without path, query or credentials.
    public func httpURL(_ flag: String?, _ variable: String, default defaultValue: String) throws(ConfigurationError) -> HTTPEndpoint {
        let text = raw(flag, variable) ?? defaultValue
        guard let endpoint = HTTPEndpoint(url: text) else {
            throw ConfigurationError(variable: variable, value: text, accepted: "an http://host[:port] URL")
        }
        return endpoint
    }
}
