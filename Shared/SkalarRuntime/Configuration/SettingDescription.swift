/// What `--help` and the docs show of a setting, whatever the type of its value.
public protocol SettingDescription: Sendable {
    /// The environment variable, such as `PORT`; the contract fixes these names.
    var variable: String { get }
    /// The flag, such as `--port`: the variable in lower case, with dashes for underscores.
    var flag: String { get }
    /// The default, in Markdown: a value in code font, or how it is worked out at start-up.
    var defaultText: String { get }
    /// What the setting accepts, in the words of its error line.
    var accepted: String { get }
    /// What the setting does, in Markdown.
    var help: String { get }
}
