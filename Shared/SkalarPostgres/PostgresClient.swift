import Logging
import SkalarRuntime
import Synchronization

/// Queries against one PostgreSQL server from the event loops: each loop has its own pool of
/// non-blocking connections (created on the loop's first query, kept in its loop-local state), so a
/// query runs, and its caller resumes, on the loop it came from.
public final class PostgresClient: Sendable {
    public struct Options: Sendable {
        /// Connections per event loop.
        public var poolSize: Int
        /// Batches in flight at once on one connection; 1 sends the next only after the last answer.
        public var pipelineDepth: Int
        /// Every query's deadline, from its call to its answer; also the server's `statement_timeout`.
        public var queryTimeout: Duration
        /// The bound on making a connection: TCP, TLS, authentication and the set-up.
        public var connectTimeout: Duration
        /// Shown in `pg_stat_activity`; the connection string may set its own.
        public var applicationName: String

        public init(
            poolSize: Int, pipelineDepth: Int, queryTimeout: Duration, connectTimeout: Duration,
            applicationName: String
        ) {
            self.poolSize = poolSize
            self.pipelineDepth = pipelineDepth
            self.queryTimeout = queryTimeout
            self.connectTimeout = connectTimeout
            self.applicationName = applicationName
        }

        /// How long a connection may leave a statement past its deadline unanswered before it is taken
        /// for dead: the server cancels it at its `statement_timeout`, which starts when the statement
        /// reaches it, at most a deadline after the call.
        var stallGrace: Duration { queryTimeout + .seconds(1) }
    }

    public let connectionString: PostgresConnectionString
    let options: Options
    let logger: Logger
    let gauges: PostgresPoolGauges?
    /// What each pooled connection runs before it is ready: the session's statement timeout and the
    /// statements it prepares.
    let setup: [PostgresCommand]
    /// How many loops' pools cannot reach the server right now.
    let poolsInOutage = Atomic<Int>(0)
    /// The host names to look up before each connection; nil when libpq needs no look-up.
    let hostAddresses: PostgresHostAddresses?

    public init(
        connectionString: PostgresConnectionString, options: Options, statements: [PostgresStatement],
        logger: Logger, gauges: PostgresPoolGauges?
    ) {
        precondition(options.poolSize > 0 && options.pipelineDepth > 0, "a pool needs room for a query")
        self.connectionString = connectionString
        self.options = options
        self.logger = logger
        self.gauges = gauges
        hostAddresses = PostgresHostAddresses(connectionString.parameters)
        setup =
            [.query("SELECT set_config('statement_timeout', $1, false)", ["\(options.queryTimeout.wholeMilliseconds)"])]
            + statements.map { .prepare($0) }
    }

    /// Runs a statement given to `init` with text parameters (nil is NULL), within the query deadline.
    /// Call on an event loop.
    public func run(_ statement: PostgresStatement, _ parameters: [String?]) async throws(PostgresError)
        -> PostgresResult
    {
        try await pool().run([.execute(statement, parameters)], kind: statement.kind, deadline: options.queryTimeout)
            .get()[0]
    }

    /// Nil while this loop's pool reaches the server within `budget`; otherwise why not. Call on an
    /// event loop.
    public func readinessProblem(budget: Duration) async -> String? {
        await pool().readinessProblem(budget: budget)
    }

    /// The libpq keywords every connection starts with: the connection string whole, which libpq
    /// expands (its parameters override the application name before it), then UTF-8, which the store's
    /// text needs whatever the string says.
    var connectionParameters: [(String, String)] {
        [
            ("application_name", options.applicationName), ("dbname", connectionString.text),
            ("client_encoding", "UTF8"),
        ]
    }

    private func pool() -> PostgresPool {
        guard let loop = EventLoop.current else { preconditionFailure("PostgreSQL queries run on an event loop") }
        return loop.local(ObjectIdentifier(self)) { PostgresPool(loop: loop, client: self) }
    }
}

/// Where a pool reports its connections: changes in the number idle (ready, nothing in flight), used
/// (something in flight) and of queries waiting for room, summed over the loops by the caller's gauges.
public struct PostgresPoolGauges: Sendable {
    let adjust: @Sendable (_ idle: Int, _ used: Int, _ pending: Int) -> Void

    public init(adjust: @escaping @Sendable (_ idle: Int, _ used: Int, _ pending: Int) -> Void) {
        self.adjust = adjust
    }
}
