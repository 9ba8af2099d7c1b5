import SkalarRuntime

/// The frontend: the stateless web tier in front of the backend.
struct FrontendCommand: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontend", abstract: "Skalar frontend: the web page and JSON API, backed by the backend.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Base URL of the backend (BACKEND_URL, default http://127.0.0.1:8081).") var backendURL: String?
    @Option(help: "Deadline per backend call in milliseconds, connect included (BACKEND_TIMEOUT_MS).") var backendTimeoutMs: String?

    func run() throws {
        let reader = ConfigurationReader()
        let configuration = try common.resolve(service: "frontend", defaultPort: 8080, defaultAdminPort: 9090, reader: reader)
        let backendEndpoint = try reader.httpURL(backendURL, "BACKEND_URL", default: "http://127.0.0.1:8081")
        let backendTimeout = try reader.integer(backendTimeoutMs, "BACKEND_TIMEOUT_MS", in: 1...60_000, default: 2000)

        let service = Service(configuration: configuration)
        let backend = BackendClient(
            client: HTTPClient(
                endpoint: backendEndpoint, timeoutMilliseconds: backendTimeout, loops: service.loops,
                metrics: service.metrics))
        InfoRoutes(configuration: configuration, backend: backend).register(on: service.router)
        try service.run()
    }
}
