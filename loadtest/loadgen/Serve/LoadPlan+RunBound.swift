extension LoadPlan {
    /// This plan for a run of the server's, which may last at most `limit`, waiting for the targets
    /// included: a plan bounded only by its request count gets `limit` as its duration too; nil when the
    /// plan's own bounds ask for longer.
    func bounded(to limit: Duration) -> LoadPlan? {
        let waiting = waitReady ?? .zero
        let running = duration ?? (limit - waiting)
        guard waiting + running <= limit, running > .zero else { return nil }
        return LoadPlan(
            targets: targets, scenarios: scenarios, mode: mode, connections: connections, duration: running,
            requestLimit: requestLimit, timeout: timeout, headers: headers, waitReady: waitReady, gates: gates,
            eventLoops: eventLoops, jsonPath: nil, htmlPath: nil)
    }
}
