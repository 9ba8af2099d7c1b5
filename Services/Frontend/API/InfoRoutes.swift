import HTTPTypes
import SkalarRuntime

/// `GET /api/info`: which version and pod of the frontend and of the backend answered.
struct InfoRoutes {
    let configuration: ServiceConfiguration
    let backend: BackendClient
    let cpuWork: CPUWork

    func register(on router: Router) {
        let frontend: JSONValue = [
            "version": .string(configuration.version), "pod": .string(configuration.podName),
        ]
        router.get("/api/info") { [backend, cpuWork] request in
            cpuWork.burn()
            switch await outcome({ () async throws(HTTPError) in try await backend.info(for: request) }) {
            case let .success(info):
                var response = Response.json([
                    "frontend": frontend,
                    "backend": ["reachable": true, "version": .string(info.version), "pod": .string(info.pod)],
                ])
                response.headers[.backendVersion] = info.version
                return response
            case .failure:
                return .json(["frontend": frontend, "backend": ["reachable": false]])
            }
        }
    }
}
