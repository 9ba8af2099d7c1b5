import HTTPTypes
import SkalarRuntime
import SkalarTesting
import Testing

@testable import Frontend

/// What the frontend answers when its backend's answer is not HTTP it can use: its own JSON 502, not the
/// backend's status passed on (a 999 or a 101 would leave the frontend with a status no client takes,
/// and a status past 999 or below 0 stopped the process).
@Suite struct BackendClientTests {
    @Test(arguments: ["101 Switching Protocols", "199 Whatever", "999 Beyond", "1000 Four Digits", "-1 Negative"])
    func anImpossibleStatusIsTheFrontendsJSON502(statusLine: String) async {
        let body = #"{"error":{"code":"teapot","message":"short and stout"}}"#
        let impossible =
            "HTTP/1.1 \(statusLine)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        await withScriptedLoopbackServer(answering: { _ in Array(impossible.utf8) }) { server in
            await withTestService(configuration: .testing(service: "frontend")) { service in
                let client = HTTPClient(
                    endpoint: server.endpoint, timeout: .seconds(5), loops: service.loops, metrics: nil)
                EntriesAPIRoutes(backend: BackendClient(client: client), cpuWork: CPUWork(perRequest: .zero))
                    .register(on: service.router)
                let response = await service.start().execute(.get, "/api/entries")
                #expect(response.status == .badGateway)
                #expect(
                    response.jsonBody == [
                        "error": [
                            "code": "backend_error", "message": "the backend's answer was invalid (invalid_response)",
                        ]
                    ])
                #expect(response.headers[.backendVersion] == nil)
            }
        }
    }
}
