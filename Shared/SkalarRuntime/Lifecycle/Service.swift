import Glibc
import Logging
import Synchronization

/// A Skalar service process: its configuration, routes, logger, metrics and lifecycle.
///
/// A service registers its routes on `router`, optionally sets `startup` and `readinessCheck`, and calls
/// `run()`, which serves until SIGTERM or SIGINT and then shuts down gracefully:
///
/// 1. readiness fails at once and responses ask clients to close their connections, while the listener
///    keeps serving for `DRAIN_SECONDS`, the time Kubernetes needs to take the pod out of its endpoints;
/// 2. the listeners stop accepting; in-flight requests finish within `SHUTDOWN_TIMEOUT_SECONDS`, their
///    responses are flushed, and idle keep-alive connections are closed;
/// 3. `run()` returns `.stopped`, or `.shutdownTimedOut` if the bound ran out first. A second signal
///    ends the run at once. The executable exits with the outcome's status.
public final class Service: @unchecked Sendable {
    public let configuration: ServiceConfiguration
    public let router = Router()
    public let logger: Logger
    public let metrics: ServiceMetrics
    public let state = ServiceState()
    public let faults = FaultInjector()
    public let loops: EventLoopGroup
    /// Work to finish before the service reports ready, such as database migrations. If it throws, the
    /// error is logged and `run()` returns `.startupFailed` at once.
    public var startup: (@Sendable () async throws -> Void)?
    /// The service's own readiness condition, asked on every `/readyz` once started.
    public var readinessCheck: ReadinessCheck?

    private let loopsStopped = Atomic<Int>(0)

    public init(configuration: ServiceConfiguration) {
        self.configuration = configuration
        let service = configuration.service
        let version = configuration.version
        let level = configuration.logLevel
        let format = configuration.logFormat
        LoggingSystem.bootstrap { _ in
            StructuredLogHandler(level: level, format: format, service: service, version: version)
        }
        var logger = Logger(label: service)
        logger[metadataKey: "pod"] = "\(configuration.podName)"
        self.logger = logger
        metrics = ServiceMetrics(service: service, version: version, revision: configuration.revision)
        metrics.bootstrapMetricsSystem()
        loops = EventLoopGroup(count: configuration.eventLoops)
    }

    /// Serves until shutdown, and tells how the run ended.
    public func run() throws(StartupError) -> ServiceOutcome {
        ShutdownSignals.block()
        let mainListeners = try startListeners()
        let adminListener = try startAdminListener()
        loops.start()
        logger.info(
            "listening",
            metadata: [
                "port": .stringConvertible(mainListeners.port),
                "admin_port": .stringConvertible(adminListener?.port ?? 0),
                "event_loops": .stringConvertible(loops.loops.count),
                "revision": "\(configuration.revision)",
            ])
        beginStartup(wakingUp: pthread_self())

        let listeners = mainListeners.listeners + (adminListener.map { [$0.listener] } ?? [])
        switch ShutdownSignals.wait(timeout: nil) {
        case let .signal(first)?:
            return shutDown(after: first, listeners: listeners)
        case .wakeUp?, nil:
            // Only a failed start-up wakes the main thread (sigwaitinfo fails only on an invalid set).
            // The loops still stop, so that the process, or a test that runs the service, ends clean.
            _ = stopServing(listeners)
            return .startupFailed
        }
    }

    private func startListeners() throws(StartupError) -> (listeners: [LoopListener], port: Int) {
        let pipeline = Self.mainPipeline(
            router: router, configuration: configuration, state: state, metrics: metrics, loops: loops,
            faults: faults, logger: logger, readinessCheck: { [weak self] in await self?.readinessCheck?() })
        let requested = "\(configuration.bindAddress):\(configuration.port) (PORT)"
        guard let probeAddress = SocketAddress(host: configuration.bindAddress, port: configuration.port) else {
            throw StartupError("invalid BIND_ADDRESS \(configuration.bindAddress)")
        }
        let port: Int
        switch probeAddress.probe() {
        case let .success(bound): port = bound
        case let .failure(error): throw StartupError("cannot listen on \(requested): \(error)")
        }
        let address = SocketAddress(host: configuration.bindAddress, port: port)!
        var listeners: [LoopListener] = []
        for loop in loops.loops {
            let listener = LoopListener(
                loop: loop, pipeline: pipeline, state: state, limits: configuration.limits,
                version: configuration.version)
            if case let .failure(error) = listener.bind(address: address, reusePort: true) {
                throw StartupError("cannot listen: \(error) on \(requested)")
            }
            listeners.append(listener)
        }
        return (listeners, port)
    }

    private func startAdminListener() throws(StartupError) -> (listener: LoopListener, port: Int)? {
        guard configuration.adminPort != 0 else { return nil }
        let pipeline = Self.adminPipeline(configuration: configuration, state: state, faults: faults, logger: logger)
        let listener = LoopListener(
            loop: loops.loops[0], pipeline: pipeline, state: state, limits: configuration.limits,
            version: configuration.version)
        guard let address = SocketAddress(host: configuration.adminBindAddress, port: configuration.adminPort) else {
            throw StartupError("invalid ADMIN_BIND_ADDRESS \(configuration.adminBindAddress)")
        }
        switch listener.bind(address: address, reusePort: false) {
        case let .success(port):
            return (listener, port)
        case let .failure(error):
            throw StartupError(
                "cannot listen: \(error) on \(configuration.adminBindAddress):\(configuration.adminPort) (ADMIN_PORT)")
        }
    }

    /// The main listener's pipeline: the service's routes on `router` plus the operational ones, behind
    /// the body limit, faults, metrics and access log. Freezes `router`. `run()` serves it on every loop;
    /// SkalarTesting runs it without a socket.
    package static func mainPipeline(
        router: Router, configuration: ServiceConfiguration, state: ServiceState, metrics: ServiceMetrics,
        loops: EventLoopGroup, faults: FaultInjector, logger: Logger, readinessCheck: @escaping ReadinessCheck
    ) -> RequestPipeline {
        OperationalRoutes(
            configuration: configuration, state: state, metrics: metrics, loops: loops, readinessCheck: readinessCheck
        ).register(on: router)
        router.freeze()
        return RequestPipeline(
            router: router, limits: configuration.limits, faults: faults,
            metrics: metrics, logger: logger, accessLog: configuration.accessLog)
    }

    /// The admin listener's pipeline: probe overrides and fault settings, itself free of faults and metrics.
    package static func adminPipeline(
        configuration: ServiceConfiguration, state: ServiceState, faults: FaultInjector, logger: Logger
    ) -> RequestPipeline {
        let router = Router()
        AdminRoutes(state: state, faults: faults).register(on: router)
        router.freeze()
        return RequestPipeline(
            router: router, limits: configuration.limits, faults: nil,
            metrics: nil, logger: logger, accessLog: configuration.accessLog)
    }

    /// Runs `startup` on the first loop; if it throws, wakes `mainThread` to end the run.
    private func beginStartup(wakingUp mainThread: pthread_t) {
        guard let startup else {
            state.enter(.serving)
            return
        }
        Task(executorPreference: loops.loops[0]) { [self] in
            do {
                try await startup()
                if state.phase == .starting { state.enter(.serving) }
                logger.info("ready")
            } catch {
                logger.critical("startup failed", metadata: ["error": "\(error)"])
                ShutdownSignals.wakeUp(mainThread)
            }
        }
    }

    private func shutDown(after signal: Int32, listeners: [LoopListener]) -> ServiceOutcome {
        state.enter(.draining)
        logger.info(
            "draining",
            metadata: [
                "signal": "\(ShutdownSignals.name(signal))",
                "drain_seconds": .stringConvertible(configuration.drain.components.seconds),
            ])
        if let outcome = interruption(within: configuration.drain) { return outcome }
        return stopServing(listeners)
    }

    /// Stops accepting, finishes in-flight requests within the shutdown timeout and stops the loops.
    private func stopServing(_ listeners: [LoopListener]) -> ServiceOutcome {
        state.enter(.stopping)
        logger.info(
            "stopping: no new connections, finishing in-flight requests",
            metadata: [
                "shutdown_timeout_seconds": .stringConvertible(configuration.shutdownTimeout.components.seconds)
            ])
        for loop in loops.loops {
            let onThisLoop = listeners.filter { $0.loop === loop }
            Task(executorPreference: loop) { [self] in
                for listener in onThisLoop { listener.stopAccepting() }
                while !onThisLoop.allSatisfy({ $0.finishIfIdle() }) {
                    await loop.sleep(for: .milliseconds(5))
                }
                loopsStopped.add(1, ordering: .releasing)
                loop.stop()
            }
        }
        let step = Duration.milliseconds(10)
        var remaining = configuration.shutdownTimeout
        while remaining > .zero {
            if loopsStopped.load(ordering: .acquiring) == loops.loops.count {
                loops.join()
                logger.info("stopped")
                return .stopped
            }
            if let outcome = interruption(within: step) { return outcome }
            remaining -= step
        }
        logger.error("shutdown timeout: exiting with requests unfinished or responses unflushed")
        return .shutdownTimedOut
    }

    /// Sleeps up to `timeout`; a second shutdown signal, or a failed start-up, in that time ends the run
    /// at once.
    private func interruption(within timeout: Duration) -> ServiceOutcome? {
        guard timeout > .zero else { return nil }
        switch ShutdownSignals.wait(timeout: timeout) {
        case nil:
            return nil
        case .wakeUp?:
            return .startupFailed
        case let .signal(signal)?:
            logger.warning("second signal: exiting at once", metadata: ["signal": "\(ShutdownSignals.name(signal))"])
            return .interrupted(signal: signal)
        }
    }
}
