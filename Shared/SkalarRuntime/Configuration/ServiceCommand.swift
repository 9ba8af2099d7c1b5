@_exported import ArgumentParser
import Glibc

/// A service's command line: its options, and `run()` that serves until shutdown.
public protocol ServiceCommand: ParsableCommand {
    /// The main listener's default port, for `<command> healthcheck`; nil for commands that serve nothing.
    static var defaultHealthcheckPort: Int? { get }
}

/// A failure to start that is not a bad setting, such as a port already in use. Exits with status 1.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension ServiceCommand {
    /// Parses the command line and runs the command. A flag or environment value the service cannot use
    /// prints one line on standard error and exits with status 2; `--help` prints help and exits 0.
    public static func runAsMain() -> Never {
        do {
            if CommandLine.arguments.dropFirst().first == "healthcheck", let port = defaultHealthcheckPort {
                HealthcheckCommand.run(defaultPort: port)
            }
            var command = try parseAsRoot()
            try command.run()
            Glibc.exit(0)
        } catch let error as ConfigurationError {
            exitWithLine(error.description, status: 2)
        } catch let error as StartupError {
            exitWithLine(error.description, status: 1)
        } catch {
            if exitCode(for: error) == .success { Self.exit(withError: error) }
            let line = message(for: error).split(separator: "\n").first.map(String.init)
            exitWithLine(line ?? "invalid arguments", status: 2)
        }
    }

    private static func exitWithLine(_ line: String, status: Int32) -> Never {
        let text = "\(configuration.commandName ?? "service"): \(line)\n"
        text.withCString { _ = Glibc.write(STDERR_FILENO, $0, strlen($0)) }
        Glibc.exit(status)
    }
}
