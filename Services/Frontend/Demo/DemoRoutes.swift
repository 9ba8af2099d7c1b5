import SkalarRuntime

/// Endpoints for demonstrating mesh retries and timeouts: a chosen status, and a chosen delay.
struct DemoRoutes {
    static let statusCodes = 200...599
    static let maximumDelayMilliseconds = 10_000

    func register(on router: Router) {
        router.get("/status/{code}") { request in
            guard let code = Int(request.parameters["code"] ?? ""), Self.statusCodes.contains(code) else {
                throw HTTPError.badRequest("the status must be an integer from 200 to 599", code: "invalid_status")
            }
            return .json(["status": .number(Double(code))], status: .init(code: code))
        }
        router.get("/delay/{ms}") { request in
            guard let delay = Int(request.parameters["ms"] ?? ""), (0...Self.maximumDelayMilliseconds).contains(delay)
            else {
                throw HTTPError.badRequest("the delay must be an integer from 0 to 10000 (ms)", code: "invalid_delay")
            }
            // A libevent timer on this loop: the loop keeps serving while this request waits.
            await EventLoop.current?.sleep(for: .milliseconds(delay))
            return .json(["delayedMs": .number(Double(delay))])
        }
    }
}
