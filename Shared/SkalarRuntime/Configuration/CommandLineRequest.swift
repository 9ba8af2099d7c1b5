/// What a service's command line asks for. Its flags are its settings' own, as `--port 8080` or
/// `--port=8080` (a repeated flag's last value wins), besides `-h`/`--help` and `--help-markdown`, which
/// win over everything else.
public enum CommandLineRequest: Sendable {
    /// Serve, with the values the flags gave.
    case serve(SettingValues)
    /// Print the help.
    case help
    /// Print the settings as a Markdown table.
    case helpMarkdown
    /// The arguments cannot be used; the text says why, in one line.
    case unusable(String)

    /// Reads `arguments` (without the program's name) against the command's settings.
    public init(
        arguments: [String], settings: [any SettingDescription], reader: ConfigurationReader = ConfigurationReader()
    ) {
        if arguments.contains(where: { $0 == "-h" || $0 == "--help" }) {
            self = .help
            return
        }
        if arguments.contains("--help-markdown") {
            self = .helpMarkdown
            return
        }
        var flags: [String: String] = [:]
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            guard argument.hasPrefix("-") else {
                self = .unusable("Unexpected argument '\(argument)'")
                return
            }
            let name = argument.prefix { $0 != "=" }
            guard let setting = settings.first(where: { $0.flag == name }) else {
                self = .unusable("Unknown option '\(name)'")
                return
            }
            if name.endIndex < argument.endIndex {
                flags[setting.variable] = String(argument[argument.index(after: name.endIndex)...])
            } else if let value = remaining.popFirst() {
                flags[setting.variable] = value
            } else {
                self = .unusable("Missing value for '\(name)'")
                return
            }
        }
        self = .serve(SettingValues(settings: settings, flags: flags, reader: reader))
    }
}
