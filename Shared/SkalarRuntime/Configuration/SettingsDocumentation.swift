/// A command's settings written out for people: as a section of `--help`, and as the Markdown table that
/// the README shows (`--help-markdown`; a test checks that the README matches).
enum SettingsDocumentation {
    /// Width of `--help`'s lines.
    static let width = 100

    /// One entry per setting: its flag and variable, what it does, what it accepts and its default.
    static func help(_ settings: [any SettingDescription]) -> String {
        settings.map { setting in
            let details =
                wrapped(plain(setting.help), indent: 6)
                + wrapped("accepts \(setting.accepted); default \(plain(setting.defaultText))", indent: 6)
            return "  \(setting.flag) <value>, \(setting.variable)\n" + details
        }.joined()
    }

    /// The Markdown table: variable, default, what it accepts, what it does.
    static func markdownTable(_ settings: [any SettingDescription]) -> String {
        let rows = settings.map { "| `\($0.variable)` | \($0.defaultText) | \($0.accepted) | \($0.help) |\n" }
        return "| variable | default | accepts | meaning |\n|---|---|---|---|\n" + rows.joined()
    }

    /// Markdown's code spans as a terminal shows them: without the backticks.
    static func plain(_ markdown: String) -> String {
        String(markdown.filter { $0 != "`" })
    }

    /// `text` in lines of at most `width` characters, each indented by `indent` spaces; a word longer
    /// than a line gets a line of its own.
    static func wrapped(_ text: String, indent: Int) -> String {
        let margin = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, indent + line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? word : " " + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { margin + $0 + "\n" }.joined()
    }
}
