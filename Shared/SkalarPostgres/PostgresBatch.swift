import SkalarRuntime

/// One caller's commands, answered together: the results of all of them, or the first error. They go
/// out in one `PostgresSegment`, alone or, when the pool merges waiting batches of the same `kind`,
/// with others; a segment ends with one sync, so its commands run in one implicit transaction. A query
/// is a batch of one.
///
/// Loop-local. The answer goes to `completion` exactly once: the results, the first error, a lost
/// connection, or the deadline, whichever comes first. After the deadline the batch is abandoned: it
/// may still be in flight, and what comes for it is dropped.
final class PostgresBatch {
    let commands: [PostgresCommand]
    /// Batches of one kind may share a segment (and with it a transaction); nil never does.
    let kind: PostgresStatement.Kind?
    /// Set when a merged segment failed: the batch is sent again in a segment of its own.
    var alone = false
    private(set) var results: [PostgresResult] = []
    private var error: PostgresError?
    private var completion: ((Result<[PostgresResult], PostgresError>) -> Void)?
    private var deadlineTimer: LoopTimer?
    /// The connection it was sent on, while it is in flight there.
    weak var connection: PostgresConnection?

    init(
        _ commands: [PostgresCommand], kind: PostgresStatement.Kind? = nil,
        completion: @escaping (Result<[PostgresResult], PostgresError>) -> Void
    ) {
        self.commands = commands
        self.kind = kind
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

    /// Forgets what a rolled-back segment gave it, to be sent again.
    func reset() {
        results = []
        error = nil
        connection = nil
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

/// Batches a connection sends one after another and ends with one sync: one transaction, one round trip,
/// one commit. Each command gives one result, in order, so the results go to the members by counting.
/// When any command fails, the server rolls back the whole segment and skips the rest of it: with more
/// than one member, the others did nothing either, and each is sent again on its own.
final class PostgresSegment {
    let members: [PostgresBatch]
    private var member = 0
    private var taken = 0
    private(set) var failed = false

    init(_ members: [PostgresBatch]) {
        self.members = members
    }

    /// Nobody waits for any member's answer any more.
    var isAbandoned: Bool { members.allSatisfy(\.isAbandoned) }

    /// One command's answer, for the member whose turn it is: its rows, its error, or nothing when the
    /// server skipped it after an earlier failure.
    func take(_ outcome: Result<PostgresResult?, PostgresError>) {
        guard member < members.count else { return }
        let batch = members[member]
        switch outcome {
        case let .success(result?): batch.append(result)
        case .success(nil): break
        case let .failure(error):
            batch.fail(error)
            failed = true
        }
        taken += 1
        if taken == batch.commands.count {
            member += 1
            taken = 0
        }
    }

    /// The sync came. Answers the members, and returns those a failed segment rolled back, to be sent
    /// again alone (never a segment's only member, whose failure is its answer).
    func finish() -> [PostgresBatch] {
        guard failed && members.count > 1 else {
            for batch in members { batch.finish() }
            return []
        }
        return members.filter { !$0.isAbandoned }
    }

    /// Answers every member with `error`: the connection broke.
    func fail(_ error: PostgresError) {
        for batch in members { batch.answer(.failure(error)) }
    }
}
