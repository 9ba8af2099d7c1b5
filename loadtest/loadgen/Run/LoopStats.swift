import Synchronization

/// A loop's running tally and the part since the last progress line.
final class LoopStats: Sendable {
    private let tallies = Mutex<(total: Tally, interval: Tally)>((Tally(), Tally()))

    func record(status: Int, latencyMicros: UInt64, versions: [(header: String, value: String)], splitValue: String?) {
        tallies.withLock { tallies in
            tallies.total.record(
                status: status, latencyMicros: latencyMicros, versions: versions, splitValue: splitValue)
            tallies.interval.record(
                status: status, latencyMicros: latencyMicros, versions: versions, splitValue: nil)
        }
    }

    func record(error kind: String) {
        tallies.withLock { tallies in
            tallies.total.errors[kind, default: 0] += 1
            tallies.interval.errors[kind, default: 0] += 1
        }
    }

    var total: Tally { tallies.withLock { $0.total } }

    /// The interval tally, which starts over.
    func takeInterval() -> Tally {
        tallies.withLock { tallies in
            let interval = tallies.interval
            tallies.interval = Tally()
            return interval
        }
    }
}
