import ArgumentParser
import Glibc
import SkalarRuntime

extension LoadgenCommand {
    /// Parses the command line and runs the command. A flag or environment value it cannot use prints one
    /// line on standard error and exits with status 2; `--help` prints help and exits 0.
    static func runAsMain() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Glibc.exit(0)
        } catch let error as ConfigurationError {
            exitWithUsageLine(error.description)
        } catch {
            if exitCode(for: error) == .success { Self.exit(withError: error) }
            exitWithUsageLine(message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments")
        }
    }

    private static func exitWithUsageLine(_ line: String) -> Never {
        ProgressPrinter(enabled: true).line("loadgen: \(line)")
        Glibc.exit(2)
    }
}
