/// Why a query or a connection failed.
public enum PostgresError: Error, Sendable, CustomStringConvertible {
    /// The server refused the statement: its SQLSTATE (`23505`) and message.
    case server(sqlState: String, message: String)
    /// The connection broke while the statement was on its way or running: it may or may not have run.
    case connectionLost(String)
    /// No connection to the server could be made (yet): libpq's reason, or what the pool is waiting for.
    case unavailable(String)
    /// The statement's deadline passed before its answer came; it may still run on the server.
    case timeout(Duration)

    public var description: String {
        switch self {
        case let .server(sqlState, message): "\(message) (SQLSTATE \(sqlState))"
        case let .connectionLost(reason): "connection lost: \(reason)"
        case let .unavailable(reason): "database unavailable: \(reason)"
        case let .timeout(deadline): "no answer within \(deadline.wholeMilliseconds) ms"
        }
    }
}
