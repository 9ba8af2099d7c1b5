import HTTPTypes

/// The main listener's probes, metrics and version, registered on every service.
struct OperationalRoutes {
    let configuration: ServiceConfiguration
    let state: ServiceState
    let metrics: ServiceMetrics
    let loops: EventLoopGroup
    let readinessCheck: ReadinessCheck?

    /// A loop that has not run its heartbeat timer for this long is stalled, and liveness fails.
    static let stallThreshold = Duration.seconds(5)

    // Probes are hit constantly; their bodies are made once.
    private static let live = Response.json(["status": "ok"])
    private static let ready = Response.json(["status": "ready"])

    func register(on router: Router) {
        router.get("/healthz", operational: true) { [state, loops] _ in
            if state.isLivenessDisabled {
                throw HTTPError(
                    .serviceUnavailable, code: "not_live", message: "liveness disabled through the admin listener")
            }
            if loops.loops.contains(where: { $0.timeSinceHeartbeat > Self.stallThreshold }) {
                let stalled = loops.loops.filter { $0.timeSinceHeartbeat > Self.stallThreshold }.map(\.index)
                throw HTTPError(.serviceUnavailable, code: "not_live", message: "event loops stalled: \(stalled)")
            }
            return Self.live
        }
        router.get("/readyz", operational: true) { [state, readinessCheck] _ in
            if let reason = await Self.notReadyReason(state: state, check: readinessCheck) {
                throw HTTPError(.serviceUnavailable, code: "not_ready", message: reason)
            }
            return Self.ready
        }
        router.get("/metrics", operational: true) { [metrics] _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: metrics.exposition())
        }
        let versionDocument: JSONValue = [
            "service": .string(configuration.service),
            "version": .string(configuration.version),
            "revision": .string(configuration.revision),
            "pod": .string(configuration.podName),
        ]
        let versionResponse = Response.json(versionDocument)
        router.get("/version", operational: true) { _ in versionResponse }
    }

    static func notReadyReason(state: ServiceState, check: ReadinessCheck?) async -> String? {
        switch state.phase {
        // The service's own check says what start-up waits for (a database that cannot be opened yet).
        case .starting: return await check?().map { "starting: \($0)" } ?? "starting"
        case .draining, .stopping: return "draining"
        case .serving: break
        }
        if state.isReadinessDisabled { return "readiness disabled through the admin listener" }
        return await check?()
    }
}
