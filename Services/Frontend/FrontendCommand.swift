import SkalarRuntime

/// The frontend: the stateless web tier in front of the backend.
struct FrontendCommand: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontend", abstract: "Skalar frontend: the web page and JSON API, backed by the backend.",
        discussion: "`frontend healthcheck` asks a running frontend's /healthz on 127.0.0.1:$PORT and exits 0 or 1.")

    static let defaultHealthcheckPort: Int? = 8080

    @OptionGroup var common: CommonOptions
    @Option(help: "Base URL of the backend (BACKEND_URL, default http://127.0.0.1:8081).") var backendURL: String?
    @Option(help: "Deadline per backend call in milliseconds, connect included (BACKEND_TIMEOUT_MS).") var backendTimeoutMs: String?
    @Option(help: "Milliseconds of real CPU work per page or API request, for HPA demos (CPU_WORK_MS, 0-1000).") var cpuWorkMs: String?

    func run() throws {
        let reader = ConfigurationReader()
        let configuration = try common.resolve(service: "frontend", defaultPort: 8080, defaultAdminPort: 9090, reader: reader)
        let backendEndpoint = try reader.httpURL(backendURL, "BACKEND_URL", default: "http://127.0.0.1:8081")
        let backendTimeout = try reader.integer(backendTimeoutMs, "BACKEND_TIMEOUT_MS", in: 1...60_000, default: 2000)
        let cpuWork = CPUWork(
            milliseconds: try reader.integer(cpuWorkMs, "CPU_WORK_MS", in: 0...CPUWork.maximumMilliseconds, default: 0))

        let service = Service(configuration: configuration)
        let backend = BackendClient(
            client: HTTPClient(
                endpoint: backendEndpoint, timeout: .milliseconds(backendTimeout), loops: service.loops,
                metrics: service.metrics))
        // The frontend's readiness deliberately ignores the backend: if it followed it, a backend outage
        // would pull every frontend pod out of its Service too, and users would get connection errors
        // instead of the page that says the backend is unavailable.
        PageRoutes(configuration: configuration, backend: backend, cpuWork: cpuWork).register(on: service.router)
        EntriesAPIRoutes(backend: backend, cpuWork: cpuWork).register(on: service.router)
        InfoRoutes(configuration: configuration, backend: backend, cpuWork: cpuWork).register(on: service.router)
        DemoRoutes().register(on: service.router)
        try service.run()
    }
}
