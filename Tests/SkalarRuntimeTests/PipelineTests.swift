import HTTPTypes
import SkalarTesting
import Testing

@testable import SkalarRuntime

/// The request pipeline as every listener runs it, through the in-process harness.
@Suite struct PipelineTests {
    private struct Failure: Error {}

    /// A service with a few routes that show what the pipeline does around them.
    private func withPipeline(
        maxBodyBytes: Int? = nil, readinessCheck: ReadinessCheck? = nil,
        _ body: (TestService, TestClient) async throws -> Void
    ) async rethrows {
        let configuration = ServiceConfiguration.testing(service: "pipeline", maxBodyBytes: maxBodyBytes)
        try await withTestService(configuration: configuration) { service in
            try await body(service, Self.start(service, readinessCheck: readinessCheck))
        }
    }

    private static func start(_ service: TestService, readinessCheck: ReadinessCheck?) -> TestClient {
        service.router.get("/things/{id}") { request in
            .json([
                "id": .string(request.parameters["id"] ?? ""), "route": .string(request.route ?? ""),
                "sort": .string(try request.queryItem("sort") ?? ""), "requestID": .string(request.id),
            ])
        }
        service.router.delete("/things/{id}") { _ in Response(status: .noContent) }
        service.router.post("/things") { request in
            .json(["bytes": .number(Double(request.body.count))], status: .created)
        }
        service.router.get("/teapot") { _ in
            var headers = HTTPFields()
            headers[.retryAfter] = "7"
            throw HTTPError(.init(code: 418), code: "teapot", message: "short and stout", headers: headers)
        }
        service.router.get("/broken") { _ in throw Failure() }
        service.router.get("/large") { _ in .text(String(repeating: "skalar ", count: 400)) }
        let loop = service.loop
        service.router.get("/loop") { _ in
            .json(["onServiceLoop": .bool(EventLoop.current === loop && loop.inEventLoop)])
        }
        return service.start(readinessCheck: readinessCheck)
    }

    @Test func routesWithDecodedParametersAndQuery() async {
        await withPipeline { _, client in
            var headers = HTTPFields()
            headers[.requestID] = "rid-1"
            let response = await client.execute(.get, "/things/a%20b?sort=new", headers: headers)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.jsonBody == ["id": "a b", "route": "/things/{id}", "sort": "new", "requestID": "rid-1"])
        }
    }

    @Test func handlersRunOnTheServiceLoop() async {
        await withPipeline { _, client in
            #expect(await client.execute(.get, "/loop").jsonBody == ["onServiceLoop": true])
        }
    }

    @Test func unknownPathIsJSON404() async {
        await withPipeline { _, client in
            let response = await client.execute(.get, "/nothing/here")
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.bodyText == #"{"error":{"code":"not_found","message":"no route for GET /nothing/here"}}"#)
        }
    }

    @Test func wrongMethodIs405WithAllow() async {
        await withPipeline { _, client in
            let response = await client.execute(.put, "/things/1")
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "DELETE, GET, HEAD")
            #expect(response.errorCode == "method_not_allowed")
            #expect(response.errorMessage == "PUT is not allowed on /things/1")
        }
    }

    @Test func headIsAnsweredByTheGetRoute() async {
        await withPipeline { _, client in
            let response = await client.execute(.head, "/things/7")
            #expect(response.status == .ok)
            #expect(response.jsonBody?["id"] == "7")
        }
    }

    @Test func bodyLimitAnswers413BeforeTheHandler() async {
        await withPipeline(maxBodyBytes: 16) { _, client in
            let atLimit = await client.execute(.post, "/things", body: [UInt8](repeating: 0x61, count: 16))
            #expect(atLimit.status == .created)
            #expect(atLimit.jsonBody == ["bytes": 16])
            let over = await client.execute(.post, "/things", body: [UInt8](repeating: 0x61, count: 17))
            #expect(over.status == .contentTooLarge)
            #expect(over.errorCode == "body_too_large")
            #expect(over.errorMessage == "request body exceeds 16 bytes")
            // The limit comes before routing: an unknown path with a large body is a 413 too.
            let unrouted = await client.execute(.post, "/nowhere", body: [UInt8](repeating: 0, count: 17))
            #expect(unrouted.status == .contentTooLarge)
        }
    }

    @Test func thrownHTTPErrorsKeepStatusBodyAndHeaders() async {
        await withPipeline { _, client in
            let response = await client.execute(.get, "/teapot")
            #expect(response.status.code == 418)
            #expect(response.headers[.retryAfter] == "7")
            #expect(response.bodyText == #"{"error":{"code":"teapot","message":"short and stout"}}"#)
        }
    }

    @Test func otherErrorsBecomeAnOpaque500() async {
        await withPipeline { _, client in
            let response = await client.execute(.get, "/broken")
            #expect(response.status == .internalServerError)
            #expect(response.bodyText == #"{"error":{"code":"internal_error","message":"internal error"}}"#)
        }
    }

    @Test func largeTextIsGzippedOnlyWhenAccepted() async {
        await withPipeline { _, client in
            let plain = await client.execute(.get, "/large")
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(plain.headers[.vary] == "Accept-Encoding")
            #expect(plain.body.count == 2800)

            var headers = HTTPFields()
            headers[.acceptEncoding] = "br, gzip;q=0.5"
            let gzipped = await client.execute(.get, "/large", headers: headers)
            #expect(gzipped.headers[.contentEncoding] == "gzip")
            #expect(gzipped.headers[.vary] == "Accept-Encoding")
            #expect(Array(gzipped.body.prefix(2)) == [0x1F, 0x8B])
            #expect(gzipped.body.count < 200)

            headers[.acceptEncoding] = "gzip;q=0"
            #expect(await client.execute(.get, "/large", headers: headers).headers[.contentEncoding] == nil)
            // A HEAD response says it varies, but its body (which never goes out) stays as it is.
            headers[.acceptEncoding] = "gzip"
            let head = await client.execute(.head, "/large", headers: headers)
            #expect(head.headers[.contentEncoding] == nil && head.headers[.vary] == "Accept-Encoding")
            // Small bodies never vary.
            #expect(await client.execute(.get, "/things/1", headers: headers).headers[.vary] == nil)
        }
    }

    @Test func injectedErrorsSpareOperationalRoutes() async {
        await withPipeline { service, client in
            let admin = service.startAdmin()
            let set = await admin.execute(.put, "/faults", body: #"{"errorRate":1}"#)
            #expect(set.status == .ok)
            #expect(set.jsonBody == ["errorRate": 1, "delayMs": 0])
            let faulted = await client.execute(.get, "/things/1")
            #expect(faulted.status == .internalServerError)
            #expect(faulted.errorCode == "fault_injected")
            #expect(await client.execute(.get, "/healthz").status == .ok)
            #expect(await client.execute(.get, "/version").status == .ok)

            #expect(await admin.execute(.delete, "/faults").jsonBody == ["errorRate": 0, "delayMs": 0])
            #expect(await client.execute(.get, "/things/1").status == .ok)
        }
    }

    @Test func injectedDelayHoldsTheRequest() async {
        await withPipeline { service, client in
            #expect(await service.startAdmin().execute(.put, "/faults", body: #"{"delayMs":40}"#).status == .ok)
            let started = MonotonicClock.nanoseconds()
            #expect(await client.execute(.get, "/things/1").status == .ok)
            #expect(MonotonicClock.nanoseconds() - started >= 40_000_000)
        }
    }

    @Test func invalidFaultSettingsAreRejected() async {
        await withPipeline { service, _ in
            let admin = service.startAdmin()
            let response = await admin.execute(.put, "/faults", body: #"{"errorRate":2,"delayMs":1.5,"jitter":1}"#)
            #expect(response.status == .unprocessableContent)
            #expect(
                response.jsonBody?["error"]?["fields"] == [
                    "errorRate": "must be a number from 0.0 to 1.0", "delayMs": "must be an integer from 0 to 10000",
                    "jitter": "unknown member",
                ])
            #expect(await admin.execute(.get, "/faults").jsonBody == ["errorRate": 0, "delayMs": 0])
        }
    }

    @Test func versionDescribesTheService() async {
        let configuration = ServiceConfiguration.testing(service: "pipeline", version: "9.8.7", podName: "pod-a")
        await withTestService(configuration: configuration) { service in
            let response = await service.start().execute(.get, "/version")
            let revision = JSONValue.string(service.configuration.revision)
            #expect(
                response.jsonBody == ["service": "pipeline", "version": "9.8.7", "revision": revision, "pod": "pod-a"])
        }
    }

    @Test func readinessFollowsPhaseOverrideAndCheck() async {
        await withPipeline(readinessCheck: { "the disk is on fire" }) { service, client in
            let failing = await client.execute(.get, "/readyz")
            #expect(failing.status == .serviceUnavailable)
            #expect(failing.errorCode == "not_ready" && failing.errorMessage == "the disk is on fire")

            await withPipeline(readinessCheck: { nil }) { _, healthy in
                #expect(await healthy.execute(.get, "/readyz").jsonBody == ["status": "ready"])
            }

            let admin = service.startAdmin()
            #expect(await admin.execute(.post, "/readyz/disable").status == .ok)
            let disabled = await client.execute(.get, "/readyz")
            #expect(disabled.errorMessage == "readiness disabled through the admin listener")
            service.state.enter(.starting)
            #expect(
                await client.execute(.get, "/readyz").errorMessage == "starting: the disk is on fire",
                "the check says what start-up waits for")
            service.state.enter(.draining)
            #expect(await client.execute(.get, "/readyz").errorMessage == "draining")
            #expect(await client.execute(.get, "/healthz").status == .ok, "liveness stays up while draining")
        }
    }

    @Test func livenessOverride() async {
        await withPipeline { service, client in
            #expect(await client.execute(.get, "/healthz").jsonBody == ["status": "ok"])
            #expect(await service.startAdmin().execute(.post, "/healthz/disable").status == .ok)
            let response = await client.execute(.get, "/healthz")
            #expect(response.status == .serviceUnavailable && response.errorCode == "not_live")
        }
    }

    @Test func requestsAreRecordedUnderTheirRoutePattern() async {
        await withPipeline { _, client in
            #expect(await client.execute(.get, "/things/41").status == .ok)
            #expect(await client.execute(.get, "/things/42").status == .ok)
            #expect(await client.execute(.get, "/nothing").status == .notFound)
            let metrics = await client.execute(.get, "/metrics")
            #expect(metrics.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let lines = metrics.bodyText.split(separator: "\n")
            let found = #"http_request_method="GET",http_route="/things/{id}",http_response_status_code="200""#
            let unmatched = #"http_request_method="GET",http_route="unmatched",http_response_status_code="404""#
            #expect(lines.contains("http_server_request_duration_seconds_count{\(found)} 2"))
            #expect(lines.contains("http_server_request_duration_seconds_count{\(unmatched)} 1"))
            #expect(!metrics.bodyText.contains("/things/41"))
        }
    }
}
