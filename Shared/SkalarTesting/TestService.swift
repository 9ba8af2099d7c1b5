import Logging
import SkalarRuntime

/// Runs `body` with a new test service and stops the service's event loop when `body` returns or throws:
/// its thread is joined, and its descriptors, loop-local state (database and client connections) and
/// libevent base are freed, so a test leaves nothing running behind it.
///
/// Close what the body opened on the service's loops from outside (a database writer) before it returns.
public func withTestService<Result>(
    configuration: ServiceConfiguration, _ body: (TestService) async throws -> Result
) async rethrows -> Result {
    try await TestServiceGate.shared.holding(.shared) {
        let service = TestService(configuration: configuration)
        defer { service.loops.shutdown() }
        return try await body(service)
    }
}

/// A service's parts without its listeners, for tests: register routes on `router` as a service does on
/// `Service.router`, then `start()` builds the same pipeline `Service.run()` serves and answers requests
/// through it in-process. `withTestService` makes one and stops it afterwards.
///
/// The parts are made here rather than by `Service`, whose initialiser bootstraps the process-wide logging
/// and metrics systems, which a test process may do only once. Each test service runs one event loop of
/// its own, so loop-local state (database and client connections) never leaks from one test into the next.
public final class TestService: Sendable {
    public let configuration: ServiceConfiguration
    public let router = Router()
    public let loops: EventLoopGroup
    public let metrics: ServiceMetrics
    public let state = ServiceState()
    public let faults = FaultInjector()
    /// Discards every message: the access log and handler errors still go through the pipeline, unprinted.
    public let logger = Logger(label: "skalar-testing") { _ in SwiftLogNoOpLogHandler() }

    init(configuration: ServiceConfiguration) {
        self.configuration = configuration
        metrics = ServiceMetrics(
            service: configuration.service, version: configuration.version, revision: configuration.revision)
        loops = EventLoopGroup(count: 1)
        loops.start()
    }

    /// The loop every request of this service runs on.
    public var loop: EventLoop { loops.loops[0] }

    /// Adds the operational routes, freezes the router and returns a client of the main listener's
    /// pipeline. Marks the service as serving, as `Service.run()` does once its start-up work is done.
    /// Call once, after registering the service's routes.
    public func start(readinessCheck: ReadinessCheck? = nil) -> TestClient {
        let pipeline = Service.mainPipeline(
            router: router, configuration: configuration, state: state, metrics: metrics, loops: loops,
            faults: faults, logger: logger, readinessCheck: { await readinessCheck?() })
        state.enter(.serving)
        return TestClient(pipeline: pipeline, loop: loop)
    }

    /// A client of the admin listener's pipeline, which shares `state` and `faults` with the main one.
    public func startAdmin() -> TestClient {
        TestClient(
            pipeline: Service.adminPipeline(configuration: configuration, state: state, faults: faults, logger: logger),
            loop: loop)
    }
}
