/// How log lines are written: one JSON object per line, or readable text for a terminal.
public enum LogFormat: String, Sendable, CaseIterable {
    case json
    case text
}
