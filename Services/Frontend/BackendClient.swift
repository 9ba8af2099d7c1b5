import HTTPTypes
import SkalarRuntime

/// The frontend's calls to the backend, with the serving request's trace headers and request id.
struct BackendClient: Sendable {
    let client: HTTPClient

    /// A backend response, or the gateway error the frontend answers with when there is none.
    func send(
        _ method: HTTPRequest.Method, _ target: String, for incoming: Request, headers: HTTPFields = [:], body: [UInt8] = []
    ) async throws(HTTPError) -> ClientResponse {
        do {
            return try await client.send(
                method, target, headers: TracePropagation.headers(headers, propagatingFrom: incoming), body: body)
        } catch .timeout {
            throw HTTPError(
                .gatewayTimeout, code: "backend_timeout",
                message: "the backend did not answer within \(client.timeoutMilliseconds) ms")
        } catch {
            throw HTTPError(.badGateway, code: "backend_unavailable", message: "the backend is unavailable: \(error)")
        }
    }
}
