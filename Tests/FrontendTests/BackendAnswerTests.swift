import HTTPTypes
import SkalarTesting
import Testing

@testable import Frontend
@testable import SkalarRuntime

/// Which answers to a backend call are the backend's own, and what the frontend answers for the others.
@Suite struct BackendAnswerTests {
    private func answer(_ status: Int, _ contentType: String?, _ body: String) -> ClientResponse {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return ClientResponse(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test func theBackendsOwnAnswersPassUnread() {
        #expect(BackendAnswer.gatewayError(for: answer(200, "application/json", #"{"items":[],"next":null}"#)) == nil)
        // Successes are not parsed, so even a body that is not JSON passes.
        #expect(BackendAnswer.gatewayError(for: answer(201, "application/json; charset=utf-8", "not json")) == nil)
        let contractError = #"{"error":{"code":"not_found","message":"no entry 4"}}"#
        #expect(BackendAnswer.gatewayError(for: answer(404, "application/json", contractError)) == nil)
        #expect(BackendAnswer.gatewayError(for: answer(503, "application/json", contractError)) == nil)
        #expect(BackendAnswer.gatewayError(for: answer(422, "Application/Problem+JSON", contractError)) == nil)
    }

    @Test func meshRepliesBecomeTheFrontendsJSONErrors() throws {
        let noUpstream = answer(503, "text/plain", "no healthy upstream")
        let unavailable = try #require(BackendAnswer.gatewayError(for: noUpstream))
        let unavailableMessage = "the backend is unavailable (the call answered 503 text/plain: no healthy upstream)"
        #expect(unavailable.status == .serviceUnavailable && unavailable.code == "backend_unavailable")
        #expect(unavailable.message == unavailableMessage)
        #expect(unavailable.response.headers[.contentType] == "application/json")
        #expect(
            unavailable.response.jsonBody == [
                "error": ["code": "backend_unavailable", "message": .string(unavailableMessage)]
            ])

        let upstreamTimeout = answer(504, "text/plain", "upstream request timeout")
        let timeout = try #require(BackendAnswer.gatewayError(for: upstreamTimeout))
        #expect(timeout.status == .gatewayTimeout && timeout.code == "backend_timeout")
        #expect(
            timeout.message
                == "the backend did not answer in time (the call answered 504 text/plain: upstream request timeout)")

        let denied = try #require(BackendAnswer.gatewayError(for: answer(403, "text/plain", "RBAC: access denied")))
        #expect(denied.status == .badGateway && denied.code == "backend_error")
        #expect(
            denied.message
                == "the backend's answer was not its JSON (the call answered 403 text/plain: RBAC: access denied)")
    }

    @Test func errorsWithoutTheContractsShapeAreNotTheBackends() {
        let shapes = [
            #"{"message":"x"}"#, #"{"error":{"code":"","message":"x"}}"#, #"{"error":{"code":"x"}}"#, "[]", "oops",
        ]
        for body in shapes {
            let error = BackendAnswer.gatewayError(for: answer(500, "application/json", body))
            #expect(error?.status == .badGateway, "\(body)")
            #expect(error?.message == "the backend's answer was not its JSON (the call answered 500 application/json)")
        }
        #expect(BackendAnswer.gatewayError(for: answer(503, "application/json", "{}"))?.code == "backend_unavailable")
    }

    @Test func onlyShortPrintablePlainTextIsQuoted() {
        let html = BackendAnswer.gatewayError(for: answer(502, "text/html", "<html><body>Bad Gateway</body></html>"))
        #expect(html?.message == "the backend's answer was not its JSON (the call answered 502 text/html)")
        let bare = BackendAnswer.gatewayError(for: answer(200, nil, "{}"))
        #expect(bare?.status == .badGateway)
        #expect(bare?.message == "the backend's answer was not its JSON (the call answered 200 without a Content-Type)")
        let twoLines = answer(503, "Text/Plain; charset=utf-8", "upstream connect error\r\nreset reason: overflow")
        #expect(
            BackendAnswer.gatewayError(for: twoLines)?.message
                == "the backend is unavailable (the call answered 503 text/plain: upstream connect error)")
        let unprintable = BackendAnswer.gatewayError(for: answer(503, "text/plain", "caf\u{E9}"))
        #expect(unprintable?.message == "the backend is unavailable (the call answered 503 text/plain)")
        let cut = BackendAnswer.gatewayError(for: answer(503, "text/plain", String(repeating: "x", count: 200)))
        let quoted = String(repeating: "x", count: 160) + "…"
        #expect(cut?.message == "the backend is unavailable (the call answered 503 text/plain: \(quoted))")
    }

    @Test func relayKeepsTheBackendsStatusBodyAndChosenHeaders() {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.retryAfter] = "1"
        headers[.idempotentReplayed] = "true"
        headers[HTTPField.Name("X-App-Version")!] = "1.4.0"
        headers[.setCookie] = "session=1"
        headers[.server] = "envoy"
        let body = #"{"id":7}"#
        let response = EntriesAPIRoutes.relay(ClientResponse(status: 201, headers: headers, body: Array(body.utf8)))
        #expect(response.status == .created)
        #expect(response.body == Array(body.utf8))
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.headers[.retryAfter] == "1")
        #expect(response.headers[.idempotentReplayed] == "true")
        #expect(response.headers[.backendVersion] == "1.4.0")
        #expect(response.headers.count == 4, "no other header of the backend's passes: \(response.headers)")
    }
}
