import SkalarRuntime

/// Commands sent together and answered together: the connection ends them with one sync, so they run in
/// one implicit transaction (a failing one rolls back the others and skips the rest), and the batch is
/// answered when the sync's result comes. A query is a batch of one.
///
/// Loop-local. The answer goes to `completion` exactly once: the results, the first error, a lost
/// connection, or the deadline, whichever comes first. After the deadline the batch is abandoned: it
/// may still be in flight, and what comes for it is dropped.
final class PostgresBatch {
    let commands: [PostgresCommand]
    private(set) var results: [PostgresResult] = []
    private var error: PostgresError?
    private var completion: ((Result<[PostgresResult], PostgresError>) -> Void)?
    private var deadlineTimer: LoopTimer?
    /// The connection it was sent on, while it is in flight there.
    weak var connection: PostgresConnection?

    init(_ commands: [PostgresCommand], completion: @escaping (Result<[PostgresResult], PostgresError>) -> Void) {
        self.commands = commands
        self.completion = completion
    }

    /// Nobody waits for the answer any more.
    var isAbandoned: Bool { completion == nil }

    /// Calls `expired` on `loop` once `deadline` has passed without an answer.
    func startDeadline(_ deadline: Duration, on loop: EventLoop, expired: @escaping (PostgresBatch) -> Void) {
        let timer = LoopTimer(on: loop) { [unowned self] in
            guard !isAbandoned else { return }
            answer(.failure(.timeout(deadline)))
            expired(self)
        }
        timer.schedule(after: deadline)
        deadlineTimer = timer
    }

    /// One command's rows; not kept for an abandoned batch.
    func append(_ result: PostgresResult) {
        if !isAbandoned { results.append(result) }
    }

    /// The first command that failed; the server skips the rest of the batch.
    func fail(_ failure: PostgresError) {
        if error == nil { error = failure }
    }

    /// The sync came: the batch's answer is what it collected.
    func finish() {
        if let error { answer(.failure(error)) } else { answer(.success(results)) }
    }

    /// Answers now, unless answered already.
    func answer(_ result: Result<[PostgresResult], PostgresError>) {
        deadlineTimer = nil
        guard let completion else { return }
        self.completion = nil
        completion(result)
    }
}
