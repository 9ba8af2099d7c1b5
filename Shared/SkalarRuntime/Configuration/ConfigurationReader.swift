import Glibc

/// Reads one value from its command-line flag or, failing that, its environment variable; the flag
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

    /// A whole number in `range`, for a command whose options are not `Setting`s.
    public func integer(
        _ flag: String?, _ variable: String, in range: ClosedRange<Int>, default defaultValue: Int
    ) throws(ConfigurationError) -> Int {
        guard let text = raw(flag, variable) else { return defaultValue }
        return try SettingFormat.integer(in: range).parse(text, variable)
    }
}
