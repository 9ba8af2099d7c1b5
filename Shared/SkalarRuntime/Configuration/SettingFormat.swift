/// How a setting's text becomes its value: what it accepts, in the words of its error line and of the
/// docs, and how a value is written back, for the docs' defaults.
public struct SettingFormat<Value: Sendable>: Sendable {
    /// What the setting accepts, as the error line and the docs say it: "an integer from 0 to 65535".
    public let accepted: String
    /// The text that reads back as the value; nil for a value no text of this format gives, such as
    /// 1.5 s for a setting in whole seconds.
    let render: @Sendable (Value) -> String?
    let parse: @Sendable (_ text: String, _ variable: String) throws(ConfigurationError) -> Value

    /// A format whose check can say more than `accepted` about why it refused a text, such as which
    /// directory is missing; `parse` throws the error that names `variable`.
    public init(
        accepted: String, render: @escaping @Sendable (Value) -> String,
        parse: @escaping @Sendable (_ text: String, _ variable: String) throws(ConfigurationError) -> Value
    ) {
        self.init(accepted: accepted, renderExactly: render, parse: parse)
    }

    /// A format that refuses a text, with `accepted`, when `parse` returns nil.
    public init(
        accepted: String, render: @escaping @Sendable (Value) -> String, parse: @escaping @Sendable (String) -> Value?
    ) {
        self.init(accepted: accepted, render: render) { (input, variable) throws(ConfigurationError) in
            guard let value = parse(input) else {
                throw ConfigurationError(variable: variable, value: input, accepted: accepted)
            }
            return value
        }
    }

    private init(
        accepted: String, renderExactly render: @escaping @Sendable (Value) -> String?,
        parse: @escaping @Sendable (_ text: String, _ variable: String) throws(ConfigurationError) -> Value
    ) {
        self.accepted = accepted
        self.render = render
        self.parse = parse
    }

    /// The same texts, read as another type: durations counted in whole units of an integer setting.
    /// A value that `back` cannot carry over exactly has no text.
    func converted<Other: Sendable & Equatable>(
        to convert: @escaping @Sendable (Value) -> Other, back: @escaping @Sendable (Other) -> Value
    ) -> SettingFormat<Other> {
        let parse = self.parse
        let render = self.render
        return SettingFormat<Other>(
            accepted: accepted,
            renderExactly: { value in
                let inner = back(value)
                return convert(inner) == value ? render(inner) : nil
            },
            parse: { (input, variable) throws(ConfigurationError) in convert(try parse(input, variable)) })
    }
}

extension SettingFormat where Value == Int {
    /// A whole number in `range`; white space around it is ignored.
    public static func integer(in range: ClosedRange<Int>) -> Self {
        Self(accepted: "an integer from \(range.lowerBound) to \(range.upperBound)", render: { "\($0)" }) { input in
            Int(input.trimmingWhitespace()).flatMap { range.contains($0) ? $0 : nil }
        }
    }
}

extension SettingFormat where Value == Duration {
    /// Whole seconds in `range`, as a setting named `…_SECONDS` spells a time.
    public static func integerSeconds(in range: ClosedRange<Int>) -> Self {
        SettingFormat<Int>.integer(in: range).converted(to: { .seconds($0) }, back: { Int($0.components.seconds) })
    }

    /// Whole milliseconds in `range`, as a setting named `…_MS` spells a time.
    public static func integerMilliseconds(in range: ClosedRange<Int>) -> Self {
        SettingFormat<Int>.integer(in: range).converted(to: { .milliseconds($0) }, back: { Int($0.wholeMilliseconds) })
    }
}

extension SettingFormat where Value == Bool {
    /// `true`, `1`, `yes` or `on`; `false`, `0`, `no` or `off`; in any case.
    public static var boolean: Self {
        Self(accepted: "true or false", render: { $0 ? "true" : "false" }) { input in
            switch input.lowercased() {
            case "true", "1", "yes", "on": true
            case "false", "0", "no", "off": false
            default: nil
            }
        }
    }
}

extension SettingFormat where Value == String {
    /// Any text, taken as it is.
    public static var text: Self {
        Self(accepted: "any text", render: { $0 }) { $0 }
    }

    /// A numeric IPv4 or IPv6 address to listen on.
    public static var ipAddress: Self {
        Self(accepted: "a numeric IPv4 or IPv6 address", render: { $0 }) { input in
            SocketAddress(host: input, port: 0) == nil ? nil : input
        }
    }
}

extension SettingFormat where Value == HTTPEndpoint {
    /// An `http://host[:port]` base URL without path, query or credentials.
    public static var httpURL: Self {
        Self(accepted: "an http://host[:port] URL", render: { $0.description }) { HTTPEndpoint(url: $0) }
    }
}

extension SettingFormat where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of the type's cases, by name, in any case.
    public static var choice: Self {
        let names = Value.allCases.map(\.rawValue).joined(separator: ", ")
        return Self(accepted: "one of \(names)", render: { $0.rawValue }) { Value(rawValue: $0.lowercased()) }
    }
}
