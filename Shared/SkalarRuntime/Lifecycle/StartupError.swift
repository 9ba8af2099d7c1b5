/// A failure to start that is not a bad setting, such as a port already in use. Exits with status 1.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
