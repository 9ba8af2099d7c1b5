import SkalarRuntime

/// `loadgen serve`: loadgen as a service for delivery controllers, on the same runtime as Skalar's
/// services (probes, metrics, JSON logs, graceful shutdown), with Flagger's webhooks on `POST /`.
struct LoadgenServerCommand: ServiceCommand {
    static let name = "loadgen"
    static let invocation = "loadgen serve"
    static let abstract =
        "Skalar loadgen serve: runs bounded loadgen runs for Flagger's webhooks and answers with their gates."
    static let defaultPort = 8080
    /// No admin listener unless asked: the server has no runtime toggles worth one.
    static let defaultAdminPort = 0

    static let maxConcurrentRuns = Setting(
        "MAX_CONCURRENT_RUNS", default: 2, .integer(in: 1...64),
        help: "runs at once, gates and loads together; a webhook beyond them gets 429 `too_many_runs`")
    static let maxRunDuration = Setting(
        "MAX_RUN_SECONDS", default: .seconds(600), .integerSeconds(in: 1...3600),
        help: "longest run a webhook may ask for, waiting for the targets included; longer is a 400 `run_too_long`")
    static let settings: [any SettingDescription] = [maxConcurrentRuns, maxRunDuration]

    static func makeService(
        configuration: ServiceConfiguration, values: SettingValues
    ) throws(ConfigurationError) -> Service {
        let service = Service(configuration: configuration)
        WebhookRoutes(
            registry: RunRegistry(maxConcurrentRuns: try values.value(of: maxConcurrentRuns), metrics: service.metrics),
            maxRunDuration: try values.value(of: maxRunDuration), state: service.state, logger: service.logger
        ).register(on: service.router)
        return service
    }
}
