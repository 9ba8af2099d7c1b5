import Synchronization

/// What the probes report: the lifecycle phase plus the admin listener's overrides.
///
/// Readiness answers "send me traffic?": 503 while starting, while draining, when an operator disabled
/// it, or when the service's own check fails. Liveness answers "restart me?": only a stalled event loop or
/// an operator's override fails it, so a slow dependency never gets a healthy pod killed.
public final class ServiceState: Sendable {
    public enum Phase: UInt8, Sendable {
        case starting, serving, draining, stopping
    }

    private let phaseValue = Atomic<UInt8>(Phase.starting.rawValue)
    private let readinessDisabled = Atomic<Bool>(false)
    private let livenessDisabled = Atomic<Bool>(false)

    public init() {}

    public var phase: Phase { Phase(rawValue: phaseValue.load(ordering: .acquiring))! }

    package func enter(_ phase: Phase) { phaseValue.store(phase.rawValue, ordering: .releasing) }

    /// True from the start of the drain on: responses then ask clients to close their connection.
    public var isShuttingDown: Bool { phase == .draining || phase == .stopping }

    public var isReadinessDisabled: Bool { readinessDisabled.load(ordering: .relaxed) }
    public var isLivenessDisabled: Bool { livenessDisabled.load(ordering: .relaxed) }

    func setReadinessDisabled(_ disabled: Bool) { readinessDisabled.store(disabled, ordering: .relaxed) }
    func setLivenessDisabled(_ disabled: Bool) { livenessDisabled.store(disabled, ordering: .relaxed) }
}

/// A service's own readiness condition, such as "migrations done and the database answers".
/// It returns nil when ready, or the reason it is not.
public typealias ReadinessCheck = @Sendable () async -> String?
