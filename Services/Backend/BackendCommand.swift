import SkalarRuntime

/// The backend: owns the guestbook. This build serves the operational surface; the entries API and its
/// SQLite store arrive with their own routes.
struct BackendCommand: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "backend", abstract: "Skalar backend: the guestbook's JSON API over SQLite.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let configuration = try common.resolve(service: "backend", defaultPort: 8081, defaultAdminPort: 9091)
        let service = Service(configuration: configuration)
        try service.run()
    }
}
