/// What a service's command line asks for. Its flags are its settings' own, as `--port 8080` or
/// `--port=8080` (a repeated flag's last value wins; an empty value counts as unset), besides `-h`/`--help`
/// and `--help-markdown`, which win over everything else wherever an option may stand. Where a flag's
/// value stands they are values: `--pod-name -h` names the pod `-h`.
enum CommandLineRequest: Sendable {
    /// Serve, with the values the flags gave.
    case serve(SettingValues)
    /// Print the help.
    case help
    /// Print the settings as a Markdown table.
    case helpMarkdown
    /// The arguments cannot be used; the text says why, in one line.
    case unusable(String)

    /// Reads `arguments` (without the program's name) against the command's settings.
    init(arguments: [String], settings: [any SettingDescription], reader: ConfigurationReader = ConfigurationReader()) {
        var flags: [String: String] = [:]
        var wantsHelp = false
        var wantsMarkdown = false
        // The first reason the arguments cannot be used; the rest are still read for a help option.
        var problem: String?
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "-h", "--help":
                wantsHelp = true
                continue
            case "--help-markdown":
                wantsMarkdown = true
                continue
            case "--":
                problem = problem ?? "Unexpected '--': the command takes options only, no arguments after them"
                continue
            default:
                break
            }
            guard argument.hasPrefix("-") else {
                problem = problem ?? "Unexpected argument '\(argument)'"
                continue
            }
            let name = argument.prefix { $0 != "=" }
            guard let setting = settings.first(where: { $0.flag == name }) else {
                problem = problem ?? "Unknown option '\(name)'"
                continue
            }
            if name.endIndex < argument.endIndex {
                flags[setting.variable] = String(argument[argument.index(after: name.endIndex)...])
            } else if let value = remaining.popFirst() {
                flags[setting.variable] = value
            } else {
                problem = problem ?? "Missing value for '\(name)'"
            }
        }
        if wantsHelp {
            self = .help
        } else if wantsMarkdown {
            self = .helpMarkdown
        } else if let problem {
            self = .unusable(problem)
        } else {
            self = .serve(SettingValues(settings: settings, flags: flags, reader: reader))
        }
    }
}
