import HTTPTypes
import SkalarRuntime

/// `GET /api/entries` and `POST /api/entries`: the backend's entries API through the frontend, the path
/// load takes. The backend's status codes, bodies, `Content-Type`, `Idempotency-Key` and retry hints pass
/// unchanged; an answer that is not the backend's own (a mesh's `text/plain` 503) never gets this far, as
/// `BackendClient` turns it into the frontend's JSON error.
struct EntriesAPIRoutes {
    let backend: BackendClient
    let cpuWork: CPUWork

    /// Response headers of the backend that the client needs to see.
    static let forwardedResponseHeaders: [HTTPField.Name] = [.contentType, .retryAfter, .idempotentReplayed]

    func register(on router: Router) {
        router.get("/api/entries") { [backend, cpuWork] request in
            cpuWork.burn()
            let target = request.query.isEmpty ? "/api/v1/entries" : "/api/v1/entries?\(request.query)"
            return Self.relay(try await backend.send(.get, target, for: request))
        }
        router.post("/api/entries") { [backend, cpuWork] request in
            cpuWork.burn()
            var headers = HTTPFields()
            headers[.contentType] = request.headers[.contentType]
            headers[.idempotencyKey] = request.headers[.idempotencyKey]
            return Self.relay(
                try await backend.send(.post, "/api/v1/entries", for: request, headers: headers, body: request.body))
        }
    }

    static func relay(_ backendResponse: ClientResponse) -> Response {
        var response = Response(status: HTTPResponse.Status(code: backendResponse.status), body: backendResponse.body)
        for name in forwardedResponseHeaders {
            if let value = backendResponse.headers[name] { response.headers[name] = value }
        }
        response.noteBackend(backendResponse)
        return response
    }
}
