/// The admin listener's routes: probe overrides and fault injection. Only `kubectl port-forward` reaches
/// them; no Service, gateway or route exposes the admin port.
struct AdminRoutes {
    let state: ServiceState
    let faults: FaultInjector

    func register(on router: Router) {
        router.post("/readyz/disable") { [state] _ in
            state.setReadinessDisabled(true)
            return .json(["readiness": "disabled"])
        }
        router.post("/readyz/enable") { [state] _ in
            state.setReadinessDisabled(false)
            return .json(["readiness": "enabled"])
        }
        router.post("/healthz/disable") { [state] _ in
            state.setLivenessDisabled(true)
            return .json(["liveness": "disabled"])
        }
        router.post("/healthz/enable") { [state] _ in
            state.setLivenessDisabled(false)
            return .json(["liveness": "enabled"])
        }
        router.get("/faults") { [faults] _ in .json(faults.current.json) }
        router.put("/faults") { [faults] request in
            let updated = try FaultSettings.parse(request.body, current: faults.current)
            faults.update(updated)
            return .json(updated.json)
        }
        router.delete("/faults") { [faults] _ in
            faults.update(.none)
            return .json(FaultSettings.none.json)
        }
    }
}
