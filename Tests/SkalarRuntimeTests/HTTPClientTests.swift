import SkalarRuntime
import SkalarTesting
import Testing

/// The HTTP client against scripted peers on loopback: its one deadline per call, the statuses it takes as
/// an answer, and which connections its pool keeps.
@Suite struct HTTPClientTests {
    @Test func oneDeadlineCoversTheWaitForAPooledConnection() async {
        await withScriptedLoopbackServer(answering: { _ in nil }) { server in
            await withTestService(configuration: .testing(service: "client")) { service in
                var limits = HTTPClient.Limits()
                limits.maxConnectionsPerLoop = 1
                let timeout = Duration.seconds(1)
                let client = HTTPClient(
                    endpoint: server.endpoint, timeout: timeout, loops: service.loops, metrics: nil, limits: limits)
                async let first = Self.timedCall(client)
                // The second call starts while the first holds the only connection, and waits for it until
                // the first gives up at its deadline. The old client then gave the second its whole timeout
                // again: 1.9 s in all.
                try? await Task.sleep(for: .milliseconds(100))
                async let second = Self.timedCall(client)
                for (error, duration) in await [first, second] {
                    #expect(error == .timeout || error == .poolExhausted, "\(String(describing: error))")
                    #expect(duration >= timeout && duration < timeout + .milliseconds(400), "\(duration)")
                }
            }
        }
    }

    /// evhttp hands over any nonzero status and every 1xx but 100 as a final answer; none of them ends a
    /// call, and what follows them on the connection is never read as the next call's answer.
    @Test(arguments: [
        answer("101 Switching Protocols"), answer("101 Switching Protocols", headers: "Upgrade: websocket\r\n"),
        answer("102 Processing"), "HTTP/1.1 103 Early Hints\r\n\r\n" + answer("200 OK"),
        answer("199 Whatever"), answer("600 Beyond"), answer("999 Beyond"), answer("1000 Four Digits"),
        answer("099 Too Low"), answer("-1 Negative"),
    ])
    func aStatusThatCannotEndACallIsAnInvalidResponseOnAConnectionNeverReused(first: String) async {
        await withScriptedLoopbackServer(answering: { Array(($0 == 0 ? first : answer("200 OK")).utf8) }) { server in
            await withTestService(configuration: .testing(service: "client")) { service in
                let client = HTTPClient(
                    endpoint: server.endpoint, timeout: .seconds(5), loops: service.loops, metrics: nil)
                #expect(await Self.call(client) == .failure(.invalidResponse))
                #expect(await Self.call(client) == .success(200))
                #expect(server.requests == 2, "an invalid response is not retried")
                #expect(server.accepted == 2, "the second call came on a new connection")
            }
        }
    }

    /// The control for the test above: a valid final status, the boundaries of 200-599 included, and one
    /// after a `100 Continue`, keeps its connection for the next call.
    @Test(arguments: [
        (answer("200 OK"), 200), (answer("204 No Content", body: ""), 204), (answer("404 Not Found"), 404),
        (answer("599 Whatever"), 599), ("HTTP/1.1 100 Continue\r\n\r\n" + answer("201 Created"), 201),
    ])
    func aValidStatusKeepsItsConnection(first: String, status: Int) async {
        await withScriptedLoopbackServer(answering: { Array(($0 == 0 ? first : answer("200 OK")).utf8) }) { server in
            await withTestService(configuration: .testing(service: "client")) { service in
                let client = HTTPClient(
                    endpoint: server.endpoint, timeout: .seconds(5), loops: service.loops, metrics: nil)
                #expect(await Self.call(client) == .success(status))
                #expect(await Self.call(client) == .success(200))
                #expect(server.requests == 2 && server.accepted == 1)
            }
        }
    }

    @Test func aFreedPoolClosesItsIdleConnections() async {
        await withScriptedLoopbackServer(answering: { _ in Array(answer("200 OK").utf8) }) { server in
            await withTestService(configuration: .testing(service: "client")) { service in
                let client = HTTPClient(
                    endpoint: server.endpoint, timeout: .seconds(5), loops: service.loops, metrics: nil)
                #expect(await Self.call(client) == .success(200))
                #expect(server.accepted == 1 && server.closedByClient == 0, "the connection waits in the pool")
            }
            // The service's loop has stopped and let go of its local state, the client's pool with it.
            for _ in 0..<500 where server.closedByClient == 0 { try? await Task.sleep(for: .milliseconds(10)) }
            #expect(server.closedByClient == 1)
        }
    }

    /// The status of a call's response, or its error.
    private static func call(_ client: HTTPClient) async -> Result<Int, HTTPClientError> {
        do {
            return .success(try await client.send(.get, "/").status)
        } catch {
            return .failure(error)
        }
    }

    /// A call's error (nil when it answered) and how long it took.
    private static func timedCall(_ client: HTTPClient) async -> (HTTPClientError?, Duration) {
        var error: HTTPClientError?
        let duration = await ContinuousClock().measure {
            if case let .failure(failure) = await call(client) { error = failure }
        }
        return (error, duration)
    }
}

/// A complete answer with `statusLine`, framed by its `Content-Length`.
private func answer(_ statusLine: String, headers: String = "", body: String = #"{"items":[]}"#) -> String {
    "HTTP/1.1 \(statusLine)\r\n\(headers)Content-Type: application/json\r\n"
        + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
}
