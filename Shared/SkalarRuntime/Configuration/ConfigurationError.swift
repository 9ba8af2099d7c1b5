/// A setting with a value the service cannot use. The process prints `description` as its one line
/// on standard error and exits with status 2.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let variable: String
    public let value: String
    public let accepted: String

    public init(variable: String, value: String, accepted: String) {
        self.variable = variable
        self.value = value
        self.accepted = accepted
    }

    public var description: String {
        "invalid \(variable)=\"\(value)\": expected \(accepted)"
    }
}
