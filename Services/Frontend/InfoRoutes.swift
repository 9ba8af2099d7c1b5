import HTTPTypes
import SkalarRuntime

/// `GET /api/info`: which version and pod of the frontend and of the backend answered.
struct InfoRoutes {
    let configuration: ServiceConfiguration
    let backend: BackendClient

    func register(on router: Router) {
        let frontend: JSONValue = [
            "version": .string(configuration.version), "pod": .string(configuration.podName),
        ]
        router.get("/api/info") { [backend] request in
            var backendInfo: JSONValue = ["reachable": false]
            var backendVersion: String?
            if let response = try? await backend.send(.get, "/version", for: request), response.status == 200,
               let document = try? JSONValue.parse(response.body) {
                backendVersion = document["version"]?.stringValue
                backendInfo = [
                    "reachable": true,
                    "version": document["version"] ?? .null,
                    "pod": document["pod"] ?? .null,
                ]
            }
            var response = Response.json(["frontend": frontend, "backend": backendInfo])
            if let backendVersion { response.headers[.backendVersion] = backendVersion }
            return response
        }
    }
}

extension HTTPField.Name {
    /// The backend's version, on every frontend response that needed the backend.
    static let backendVersion = HTTPField.Name("X-Backend-Version")!
}
