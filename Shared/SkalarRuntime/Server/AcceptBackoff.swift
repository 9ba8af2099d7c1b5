import Glibc
import Logging
import Prometheus

/// What a listener does when `accept` fails for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM): the pending connection stays in the backlog and the socket stays readable, so accepting
/// again at once would spin. It pauses the listener, doubling the pause from 10 ms up to 1 s while the
/// failures go on, logs one JSON line per `logInterval` with the count, and counts every failure in
/// `http_server_accept_errors_total{error}`. The first accepted connection resets it.
final class AcceptBackoff {
    static let shortestPause = Duration.milliseconds(10)
    static let longestPause = Duration.seconds(1)
    static let logInterval = Duration.seconds(10)

    private let logger: Logger
    private let metrics: ServiceMetrics?
    private var timer: LoopEvent?
    private var pause = AcceptBackoff.shortestPause
    private var paused: ConnectionListener?
    private var failuresSinceLog = 0
    private var lastLog: UInt64?

    init(base: EventBase, logger: Logger, metrics: ServiceMetrics?) {
        self.logger = logger
        self.metrics = metrics
        timer = LoopEvent.timer(on: base) { [unowned self] in self.resume() }
    }

    func failed(_ error: SystemError, pausing listener: ConnectionListener) {
        metrics?.acceptErrors(Self.name(of: error)).increment()
        failuresSinceLog += 1
        if lastLog.map({ MonotonicClock.secondsSince($0) >= Self.logInterval.inSeconds }) ?? true {
            logger.error(
                "accept failed: pausing the listener",
                metadata: [
                    "error": "\(Self.name(of: error)): \(error)",
                    "failures": .stringConvertible(failuresSinceLog),
                    "pause_ms": .stringConvertible(pause.wholeMilliseconds),
                ])
            lastLog = MonotonicClock.nanoseconds()
            failuresSinceLog = 0
        }
        listener.pause()
        paused = listener
        timer?.schedule(after: pause)
        pause = min(pause * 2, Self.longestPause)
    }

    func succeeded() {
        pause = Self.shortestPause
    }

    /// Cancels a pending resume; the listener is going away.
    func stop() {
        timer?.cancel()
        paused = nil
    }

    private func resume() {
        paused?.resume()
        paused = nil
    }

    private static func name(of error: SystemError) -> String {
        switch error.code {
        case EMFILE: return "EMFILE"
        case ENFILE: return "ENFILE"
        case ENOBUFS: return "ENOBUFS"
        case ENOMEM: return "ENOMEM"
        default: return "other"
        }
    }
}
