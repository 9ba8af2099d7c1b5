import Glibc

/// Reads one value from its command-line flag or, failing that, its environment variable; the flag
/// wins. An empty value counts as unset, from a variable (as Kubernetes manifests often leave them) and
/// from a flag (`--app-version=`) alike.
public struct ConfigurationReader: Sendable {
    private let environment: @Sendable (String) -> String?

    public init(environment: @escaping @Sendable (String) -> String? = ConfigurationReader.processEnvironment) {
        self.environment = environment
    }

    /// The process's environment variable of that name, as it is.
    public static let processEnvironment: @Sendable (String) -> String? = { name in
        getenv(name).map { String(cString: $0) }
    }

    /// The flag's text, else the variable's; nil when both are unset or empty.
    public func raw(_ flag: String?, _ variable: String) -> String? {
        if let flag, !flag.isEmpty { return flag }
        guard let value = environment(variable), !value.isEmpty else { return nil }
        return value
    }

    /// A whole number in `range`, for a command whose options are not `Setting`s.
    public func integer(
        _ flag: String?, _ variable: String, in range: ClosedRange<Int>, default defaultValue: Int
    ) throws(ConfigurationError) -> Int {
        guard let text = raw(flag, variable) else { return defaultValue }
        return try SettingFormat.integer(in: range).parse(text, variable)
    }
}
