/// One setting, described once: its environment variable (and from it its flag), its default, what it
/// accepts and what it does. Reading it, its error line, `--help` and the README's table all come from
/// this description.
public struct Setting<Value: Sendable>: SettingDescription {
    public let variable: String
    public let defaultText: String
    public let help: String
    public let format: SettingFormat<Value>
    private let defaultValue: @Sendable () throws(ConfigurationError) -> Value

    /// A setting whose default is a fixed value, shown as a user would write it. The default goes through
    /// the same check as a given value, so a default that cannot work here (a database directory that
    /// does not exist) stops the process at start-up too.
    ///
    /// A default that no text of the format gives (1.5 s for whole seconds) stops the process with the
    /// setting's name: it is the declaration that is wrong, and the docs could not show it.
    public init(_ variable: String, default value: Value, _ format: SettingFormat<Value>, help: String) {
        guard let literal = format.render(value) else {
            preconditionFailure("\(variable)'s default \(value) cannot be written as \(format.accepted)")
        }
        self.variable = variable
        self.defaultText = "`\(literal)`"
        self.help = help
        self.format = format
        self.defaultValue = { () throws(ConfigurationError) in try format.parse(literal, variable) }
    }

    /// A setting whose default is worked out at start-up, such as the host name; `described` says how,
    /// in Markdown.
    public init(
        _ variable: String, default described: String, computed: @escaping @Sendable () -> Value,
        _ format: SettingFormat<Value>, help: String
    ) {
        self.variable = variable
        self.defaultText = described
        self.help = help
        self.format = format
        self.defaultValue = { computed() }
    }

    public var flag: String { "--" + String(variable.lowercased().map { $0 == "_" ? "-" : $0 }) }

    public var accepted: String { format.accepted }

    /// The value for `text` (nil: neither flag nor variable set), or the error that names the variable.
    func value(from text: String?) throws(ConfigurationError) -> Value {
        guard let text else { return try defaultValue() }
        return try format.parse(text, variable)
    }
}
