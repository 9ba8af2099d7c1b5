import HTTPTypes
import SkalarRuntime

/// Sends requests through a listener's pipeline on its event loop, without a socket: routing (404, 405),
/// the body limit, injected faults, error mapping, compression and the metrics all apply as they do for a
/// request from the network.
///
/// What the listener does on the wire is not part of the answer: `X-App-Version`, `X-Request-Id`,
/// `Connection: close` and the dropped body of a `HEAD` response are added as evhttp writes it.
public struct TestClient: Sendable {
    private let pipeline: RequestPipeline
    private let loop: EventLoop

    init(pipeline: RequestPipeline, loop: EventLoop) {
        self.pipeline = pipeline
        self.loop = loop
    }

    /// The pipeline's response to `request`.
    public func execute(_ request: Request) async -> Response {
        await respond { _ in request }
    }

    /// The response to `method` on `target` (path and query, as on the request line). The request id is
    /// the `X-Request-Id` sent, or a new UUID.
    public func execute(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields = [:], body: [UInt8] = []
    ) async -> Response {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let query = parts.count > 1 ? String(parts[1]) : ""
        return await respond { loop in
            Request(
                method: method, path: path, query: query, headers: headers, body: body,
                id: headers[.requestID] ?? loop.makeUUID())
        }
    }

    /// The response to `method` on `target` with a text body, such as JSON.
    public func execute(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields = [:], body: String
    ) async -> Response {
        await execute(method, target, headers: headers, body: Array(body.utf8))
    }

    /// Runs the pipeline in a task of its own that prefers the loop's executor, as a listener starts it;
    /// the request is made there, since the loop's id generator is only used on its thread. Each call
    /// takes fresh metric handles, which find the same series in the registry as a listener's would.
    private func respond(to makeRequest: @escaping @Sendable (EventLoop) -> Request) async -> Response {
        let start = MonotonicClock.nanoseconds()
        return await Task(executorPreference: loop) { [pipeline, loop] in
            await pipeline.respond(
                to: makeRequest(loop), on: loop, recordingIn: pipeline.makeRequestMetrics(), startedAt: start)
        }.value
    }
}
