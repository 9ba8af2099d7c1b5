/// How a service's run ended, and the exit status that tells it.
public enum ServiceOutcome: Sendable, Equatable {
    /// Every loop finished its requests and stopped after the drain.
    case stopped
    /// Requests were still running, or responses unflushed, when `SHUTDOWN_TIMEOUT_SECONDS` ran out.
    case shutdownTimedOut
    /// The service's `startup` work threw.
    case startupFailed
    /// A second shutdown signal cut the shutdown short.
    case interrupted(signal: Int32)

    /// 0 after a clean stop, 1 when work was abandoned or start-up failed, 128 + the signal when
    /// interrupted, as shells report a process that a signal ended.
    public var exitStatus: Int32 {
        switch self {
        case .stopped: 0
        case .shutdownTimedOut, .startupFailed: 1
        case let .interrupted(signal): 128 + signal
        }
    }
}
