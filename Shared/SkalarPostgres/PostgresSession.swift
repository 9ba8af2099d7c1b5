import SkalarRuntime

/// One connection of its own for work that runs step by step outside the pools, such as the schema
/// migrations: a session-level advisory lock holds until `close()`. Its statements have no deadline
/// (a migration waits for the lock as long as another replica migrates). Loop-local: open, use and
/// close it on one loop.
public final class PostgresSession: PostgresConnectionOwner {
    private var connection: PostgresConnection!
    private var opening: CheckedContinuation<PostgresError?, Never>?
    private var closedBecause: PostgresError?

    private init() {}

    /// Connects as `client`'s pools do, without their prepared statements and statement timeout. Call on
    /// an event loop.
    public static func open(like client: PostgresClient) async throws(PostgresError) -> PostgresSession {
        guard let loop = EventLoop.current else { preconditionFailure("a session is opened on an event loop") }
        var addresses: [(String, String)] = []
        if let hostAddresses = client.hostAddresses {
            let found = await withCheckedContinuation { continuation in
                hostAddresses.resolve(on: loop) { continuation.resume(returning: $0) }
            }
            addresses = try found.get()
        }
        let session = PostgresSession()
        let failure = await withCheckedContinuation { continuation in
            session.opening = continuation
            session.connection = PostgresConnection(
                loop: loop, owner: session, parameters: client.connectionParameters + addresses, setup: [],
                connectTimeout: client.options.connectTimeout, stallGrace: client.options.stallGrace)
        }
        if let failure { throw failure }
        return session
    }

    /// Runs one SQL statement with text parameters (nil is NULL).
    @discardableResult
    public func run(_ sql: String, _ parameters: [String?] = []) async throws(PostgresError) -> PostgresResult {
        try await transaction([(sql, parameters)])[0]
    }

    /// Runs statements as one transaction: all of them, or, when one fails, none.
    @discardableResult
    public func transaction(_ statements: [(String, [String?])]) async throws(PostgresError) -> [PostgresResult] {
        if let closedBecause { throw closedBecause }
        return try await withCheckedContinuation { continuation in
            connection.send([
                PostgresBatch(statements.map { .query($0.0, $0.1) }) { continuation.resume(returning: $0) }
            ])
        }.get()
    }

    /// Ends the session, and with it its advisory locks.
    public func close() {
        connection.close(because: .unavailable("the session was closed"))
    }

    // MARK: PostgresConnectionOwner

    func connectionIsReady(_ connection: PostgresConnection) {
        opening?.resume(returning: nil)
        opening = nil
    }

    func connection(_ connection: PostgresConnection, finished segment: PostgresSegment, resend: [PostgresBatch]) {}

    func connectionClosed(_ connection: PostgresConnection, error: PostgresError, wasReady: Bool) {
        closedBecause = error
        opening?.resume(returning: error)
        opening = nil
    }
}
