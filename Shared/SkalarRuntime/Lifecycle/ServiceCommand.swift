import Glibc

/// A service's executable: its name, its own settings after the shared ones, and how it builds its
/// service from their values. Its `main.swift` runs it and exits with the status it returns:
/// `exit(FrontendCommand.main(arguments: CommandLine.arguments))`.
public protocol ServiceCommand {
    /// `frontend` or `backend`: the `service` label of logs and metrics, and the start of error lines.
    static var name: String { get }
    /// How a user invokes it, for `--help`: the name, unless the service is a subcommand of another
    /// program (`loadgen serve`).
    static var invocation: String { get }
    /// One sentence for `--help`.
    static var abstract: String { get }
    /// The main listener's port unless `PORT` says otherwise; also what `healthcheck` asks.
    static var defaultPort: Int { get }
    /// The admin listener's port unless `ADMIN_PORT` says otherwise.
    static var defaultAdminPort: Int { get }
    /// The service's own settings. Every setting `makeService` reads must be here.
    static var settings: [any SettingDescription] { get }
    /// Reads the service's own settings from `values` and builds the service on `configuration`.
    static func makeService(
        configuration: ServiceConfiguration, values: SettingValues
    ) throws(ConfigurationError) -> Service
}

extension ServiceCommand {
    public static var invocation: String { name }

    /// The shared settings with this service's default ports.
    private static var commonSettings: CommonSettings {
        CommonSettings(defaultPort: defaultPort, defaultAdminPort: defaultAdminPort)
    }

    /// Every setting of the command, in the order `--help` and the docs list them.
    private static var allSettings: [any SettingDescription] { commonSettings.all + settings }

    /// Runs the command line `arguments` (the program's name first) and returns the process's exit
    /// status: 0 after a clean shutdown or `--help`; 2, with one line on standard error, for a bad
    /// setting or argument; 1 when the service cannot start or its shutdown bound ran out; 128 + the
    /// signal after a second shutdown signal. `<name> healthcheck` exits 0 or 1 instead.
    public static func main(arguments: [String]) -> Int32 {
        let arguments = Array(arguments.dropFirst())
        if arguments.first == "healthcheck" { return HealthcheckCommand.status(settings: commonSettings) }
        switch CommandLineRequest(arguments: arguments, settings: allSettings) {
        case .help:
            print(helpText, terminator: "")
            return 0
        case .helpMarkdown:
            print(SettingsDocumentation.markdownTable(allSettings), terminator: "")
            return 0
        case let .unusable(reason):
            return reportFailure(reason, status: 2)
        case let .serve(values):
            let service: Service
            do {
                let configuration = try ServiceConfiguration(service: name, settings: commonSettings, values: values)
                service = try makeService(configuration: configuration, values: values)
            } catch {
                return reportFailure(error.description, status: 2)
            }
            do {
                return try service.run().exitStatus
            } catch {
                return reportFailure(error.description, status: 1)
            }
        }
    }

    static var helpText: String {
        """
        \(abstract)

        USAGE: \(invocation) [--<setting> <value> ...]
               \(invocation) healthcheck

        `\(invocation) healthcheck` asks a running \(name)'s /healthz on 127.0.0.1:$PORT and exits 0 or 1.

        Each setting is a flag and an environment variable (--port and PORT); the flag wins, and an
        empty variable counts as unset. A value the service cannot use stops it at start-up with exit
        status 2 and one line naming the variable and what it accepts.

        SETTINGS:
        \(SettingsDocumentation.help(allSettings))
        OTHER OPTIONS:
          --help-markdown
              the settings as the Markdown table that the README shows
          -h, --help
              this help

        """
    }

    /// Writes `<name>: <line>` on standard error and returns `status`.
    private static func reportFailure(_ line: String, status: Int32) -> Int32 {
        let text = "\(name): \(line)\n"
        text.withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
        return status
    }
}
