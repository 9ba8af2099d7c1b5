import HTTPTypes
import SkalarRuntime

/// The frontend's calls to the backend, each carrying the serving request's trace headers and request id.
struct BackendClient: Sendable {
    let client: HTTPClient

    /// The backend's own response, or the gateway error the frontend answers with when there is none: 504
    /// when the backend did not answer within the deadline (waiting for a pooled connection included),
    /// 502 `backend_unavailable` when it could not be reached, 502 `backend_error` when its answer was not
    /// valid HTTP (an impossible status included), and for an answer that is not the backend's (a mesh's
    /// local reply, anything not JSON) the error `BackendAnswer` maps it to. Callers only ever see the
    /// backend's JSON, so they can pass it on as it is.
    func send(
        _ method: HTTPRequest.Method, _ target: String, for incoming: Request, headers: HTTPFields = [:],
        body: [UInt8] = []
    ) async throws(HTTPError) -> ClientResponse {
        let response: ClientResponse
        do {
            response = try await client.send(
                method, target, headers: TracePropagation.headers(headers, propagatingFrom: incoming), body: body)
        } catch .timeout {
            throw HTTPError(
                .gatewayTimeout, code: "backend_timeout",
                message: "the backend did not answer within \(client.timeout.wholeMilliseconds) ms")
        } catch .poolExhausted {
            // Every connection to the backend stayed busy until the call's deadline: the backend is too
            // slow for the load, which is a timeout to the caller (the client's metric still says which).
            throw HTTPError(
                .gatewayTimeout, code: "backend_timeout",
                message: "no connection to the backend came free within \(client.timeout.wholeMilliseconds) ms")
        } catch .invalidResponse {
            throw HTTPError(
                .badGateway, code: "backend_error", message: "the backend's answer was invalid (invalid_response)")
        } catch {
            throw HTTPError(.badGateway, code: "backend_unavailable", message: "the backend is unavailable (\(error))")
        }
        if let error = BackendAnswer.gatewayError(for: response) { throw error }
        return response
    }

    /// The backend's version and pod, from its `/version`.
    func info(for incoming: Request) async throws(HTTPError) -> BackendInfo {
        let response = try await send(.get, "/version", for: incoming)
        guard response.status == 200, let document = try? JSONValue.parse(response.body),
            let version = document["version"]?.stringValue, let pod = document["pod"]?.stringValue
        else {
            throw HTTPError(
                .badGateway, code: "backend_unavailable", message: "the backend's /version answered \(response.status)")
        }
        return BackendInfo(version: version, pod: pod)
    }
}

/// Which backend answered.
struct BackendInfo: Sendable {
    let version: String
    let pod: String
}

/// Runs `body`, keeping its outcome instead of throwing, so two backend calls can run side by side with
/// `async let` and each failure can be shown on its own.
func outcome<Value: Sendable>(_ body: () async throws(HTTPError) -> Value) async -> Result<Value, HTTPError> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}

extension Response {
    /// Adds `X-Backend-Version` from a backend response's `X-App-Version`.
    mutating func noteBackend(_ backend: ClientResponse) {
        if let version = backend.headers[.appVersion] { headers[.backendVersion] = version }
    }
}
