import HTTPTypes
import SkalarRuntime
import SkalarTesting
import Testing

@testable import Frontend

/// The frontend's routes through the request pipeline, with its backend client pointed at a loopback port
/// that refuses connections: what visitors and API clients get while the backend is down.
@Suite struct FrontendRoutesTests {
    static let version = "2.0.0"
    static let pod = "frontend-7"

    private func withUnreachableBackend(
        cpuWork: CPUWork = CPUWork(perRequest: .milliseconds(0)), _ body: (TestClient) async throws -> Void
    ) async rethrows {
        let configuration = ServiceConfiguration.testing(service: "frontend", version: Self.version, podName: Self.pod)
        try await withTestService(configuration: configuration) { service in
            // Inside the service's scope: the port's socket, like the service, exists only while this test
            // holds the census gate (see withNoOtherTestService).
            try await withClosedLoopbackPort { backendEndpoint in
                let client = HTTPClient(
                    endpoint: backendEndpoint, timeout: .seconds(2), loops: service.loops, metrics: service.metrics)
                let backend = BackendClient(client: client)
                let router = service.router
                PageRoutes(configuration: configuration, backend: backend, cpuWork: cpuWork).register(on: router)
                EntriesAPIRoutes(backend: backend, cpuWork: cpuWork).register(on: router)
                InfoRoutes(configuration: configuration, backend: backend, cpuWork: cpuWork).register(on: router)
                DemoRoutes().register(on: router)
                try await body(service.start())
            }
        }
    }

    private func notice(_ text: String) -> String { #"<p class="notice" role="alert">\#(text)</p>"# }

    private static let formHeaders: HTTPFields = {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-www-form-urlencoded"
        return headers
    }()

    private func expectPageHeaders(_ response: Response) {
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        let policy = [
            "default-src 'none'", "style-src 'self'", "img-src 'self' data:", "form-action 'self'",
            "frame-ancestors 'none'", "base-uri 'none'",
        ]
        #expect(response.headers[.contentSecurityPolicy] == policy.joined(separator: "; "))
        #expect(response.headers[.xContentTypeOptions] == "nosniff")
        #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(response.headers[.backendVersion] == nil)
    }

    @Test func pageDegradesToA503ThatStillWorks() async {
        await withUnreachableBackend { client in
            let response = await client.execute(.get, "/")
            #expect(response.status == .serviceUnavailable)
            expectPageHeaders(response)
            let html = response.bodyText
            #expect(html.contains(notice(PageRoutes.unavailableNotice)))
            #expect(html.contains(#"<div class="card down">"#))
            #expect(html.contains(#"<span class="version">\#(Self.version)</span>"#))
            #expect(html.contains("Served by \(Self.pod)"))
            #expect(html.contains(#"<link rel="stylesheet" href="/assets/skalar.css?v=\#(Self.version)">"#))
            #expect(html.contains(#"<form class="compose" method="post" action="/entries">"#), "the form stays usable")
            #expect(!html.contains(#"<ol class="entries">"#))
        }
    }

    @Test func eachPageCarriesItsOwnIdempotencyKey() async {
        await withUnreachableBackend { client in
            func key(_ html: String) -> Substring? {
                let marker = #"name="idempotencyKey" value=""#
                guard let start = html.ranges(of: marker).first?.upperBound else { return nil }
                return html[start...].prefix { $0 != "\"" }
            }
            let first = key(await client.execute(.get, "/").bodyText)
            let second = key(await client.execute(.get, "/").bodyText)
            #expect(first?.count == 36 && second?.count == 36 && first != second)
        }
    }

    @Test func formPostKeepsTheDraftWhenTheBackendIsDown() async {
        await withUnreachableBackend { client in
            let form = "author=%3Cb%3EAda&message=Hi+there%21&idempotencyKey=k-1"
            let response = await client.execute(.post, "/entries", headers: Self.formHeaders, body: form)
            #expect(response.status == .badGateway)
            expectPageHeaders(response)
            let html = response.bodyText
            let reason = "Your entry was not saved: the backend is unavailable (connect). Please try again."
            #expect(html.contains(notice(reason)))
            #expect(html.contains(#"value="&lt;b&gt;Ada""#))
            #expect(html.contains(">Hi there!</textarea>"))
        }
    }

    @Test func unreadableFormIsA400Page() async {
        await withUnreachableBackend { client in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let json = await client.execute(.post, "/entries", headers: headers, body: #"{"author":"Ada"}"#)
            #expect(json.status == .badRequest)
            expectPageHeaders(json)
            #expect(json.bodyText.contains(notice("The form could not be read; please try again.")))
            let malformed = await client.execute(.post, "/entries", headers: Self.formHeaders, body: "author=%E0%A4")
            #expect(malformed.status == .badRequest)
            // Raw bytes that are not UTF-8 are refused like escapes that decode to them.
            let raw = await client.execute(
                .post, "/entries", headers: Self.formHeaders,
                body: Array("author=".utf8) + [0xFF] + Array("&message=m".utf8))
            #expect(
                raw.status == .badRequest
                    && raw.bodyText.contains(notice("The form could not be read; please try again.")))
            let fields = (1...URLEncodedForm.maximumFields).map { "p\($0)=1" }.joined(separator: "&")
            let crowded = await client.execute(
                .post, "/entries", headers: Self.formHeaders, body: fields + "&author=a&message=m")
            #expect(
                crowded.status == .badRequest
                    && crowded.bodyText.contains(notice("The form could not be read; please try again.")))
        }
    }

    @Test func apiPassThroughAnswersJSON502() async {
        await withUnreachableBackend { client in
            for (method, target) in [(HTTPRequest.Method.get, "/api/entries?limit=3"), (.post, "/api/entries")] {
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                let entry = #"{"author":"a","message":"m"}"#
                let response = await client.execute(method, target, headers: headers, body: entry)
                #expect(response.status == .badGateway, "\(method)")
                #expect(response.headers[.contentType] == "application/json")
                #expect(
                    response.jsonBody == [
                        "error": ["code": "backend_unavailable", "message": "the backend is unavailable (connect)"]
                    ])
                #expect(response.headers[.backendVersion] == nil)
            }
        }
    }

    @Test func infoReportsTheBackendUnreachable() async {
        await withUnreachableBackend { client in
            let response = await client.execute(.get, "/api/info")
            #expect(response.status == .ok)
            #expect(
                response.jsonBody == [
                    "frontend": ["version": .string(Self.version), "pod": .string(Self.pod)],
                    "backend": ["reachable": false],
                ])
            #expect(response.headers[.backendVersion] == nil)
        }
    }

    @Test func readinessDoesNotFollowTheBackend() async {
        await withUnreachableBackend { client in
            #expect(await client.execute(.get, "/readyz").status == .ok)
            #expect(await client.execute(.get, "/healthz").status == .ok)
        }
    }

    @Test func stylesheetIsServedCacheableAndCompressed() async {
        await withUnreachableBackend { client in
            let plain = await client.execute(.get, "/assets/skalar.css")
            #expect(plain.status == .ok)
            #expect(plain.headers[.contentType] == "text/css; charset=utf-8")
            #expect(plain.headers[.cacheControl] == "public, max-age=3600")
            #expect(plain.bodyText == Stylesheet.css)
            var headers = HTTPFields()
            headers[.acceptEncoding] = "gzip, deflate"
            let gzipped = await client.execute(.get, "/assets/skalar.css?v=\(Self.version)", headers: headers)
            #expect(gzipped.headers[.contentEncoding] == "gzip" && gzipped.body.count < plain.body.count)
        }
    }

    @Test func statusAnswersTheCodeAsked() async {
        await withUnreachableBackend { client in
            for code in [200, 204, 418, 503, 599] {
                let response = await client.execute(.get, "/status/\(code)")
                #expect(response.status.code == code)
                if code == 204 {
                    #expect(response.body.isEmpty && response.headers[.contentType] == nil, "204 has no content")
                } else {
                    #expect(response.jsonBody == ["status": .number(Double(code))])
                }
            }
            for code in ["199", "600", "abc", "-1", "2e2", "%20200"] {
                let response = await client.execute(.get, "/status/\(code)")
                #expect(response.status == .badRequest && response.errorCode == "invalid_status", "\(code)")
                #expect(response.errorMessage == "the status must be an integer from 200 to 599")
            }
        }
    }

    @Test func delayIsBoundedAndWaits() async {
        await withUnreachableBackend { client in
            for delay in ["10001", "-1", "1s", "ten"] {
                let response = await client.execute(.get, "/delay/\(delay)")
                #expect(response.status == .badRequest && response.errorCode == "invalid_delay", "\(delay)")
                #expect(response.errorMessage == "the delay must be an integer from 0 to 10000 (ms)")
            }
            #expect(await client.execute(.get, "/delay/0").jsonBody == ["delayedMs": 0])
            let started = MonotonicClock.nanoseconds()
            let delayed = await client.execute(.get, "/delay/40")
            #expect(MonotonicClock.nanoseconds() - started >= 40_000_000)
            #expect(delayed.status == .ok && delayed.jsonBody == ["delayedMs": 40])
        }
    }

    @Test func pageAndAPIRoutesBurnTheConfiguredCPU() async {
        // CPU time is never more than the time that passed, so each request takes at least the work.
        await withUnreachableBackend(cpuWork: CPUWork(perRequest: .milliseconds(30))) { client in
            let routes: [(HTTPRequest.Method, String)] = [
                (.get, "/"), (.get, "/api/entries"), (.post, "/api/entries"), (.get, "/api/info"), (.post, "/entries"),
            ]
            for (method, target) in routes {
                let started = MonotonicClock.nanoseconds()
                _ = await client.execute(method, target)
                #expect(MonotonicClock.nanoseconds() - started >= 30_000_000, "\(method) \(target)")
            }
        }
    }
}
