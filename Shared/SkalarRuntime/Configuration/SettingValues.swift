/// A command's settings and the flags its command line gave them. Each setting's value comes from its
/// flag, else its environment variable, else its default.
public struct SettingValues: Sendable {
    /// The command's settings, in the order `--help` and the docs list them.
    public let settings: [any SettingDescription]
    private let flags: [String: String]
    private let reader: ConfigurationReader

    /// `flags` holds the command line's values by variable name.
    public init(
        settings: [any SettingDescription], flags: [String: String] = [:],
        reader: ConfigurationReader = ConfigurationReader()
    ) {
        self.settings = settings
        self.flags = flags
        self.reader = reader
    }

    /// The setting's value, or the error that names it.
    public func value<Value>(of setting: Setting<Value>) throws(ConfigurationError) -> Value {
        precondition(
            settings.contains { $0.variable == setting.variable },
            "\(setting.variable) is read but is not among the command's settings, so no flag, help or docs show it")
        return try setting.value(from: reader.raw(flags[setting.variable], setting.variable))
    }
}
