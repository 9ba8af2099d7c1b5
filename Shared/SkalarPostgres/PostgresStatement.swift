/// A statement every pooled connection prepares once, when it connects, and then runs by name: the
/// server parses and plans it once per connection instead of once per query.
public struct PostgresStatement: Sendable, Hashable {
    /// Whether a statement only reads or also writes. Under load, a pool sends waiting queries of one
    /// kind together, as one transaction: reads share a round trip, writes also share a commit (and its
    /// WAL flush), the way SQLite's writer groups its commits. Reads and writes never share one, so a
    /// read never waits for a commit.
    public enum Kind: Sendable {
        case read, write
    }

    /// The prepared statement's name on the server; unique among a client's statements.
    public let name: String
    /// One SQL statement with `$1`, `$2`… for its parameters, whose types the server infers.
    public let sql: String
    public let kind: Kind

    public init(name: String, sql: String, kind: Kind) {
        self.name = name
        self.sql = sql
        self.kind = kind
    }
}

/// One message of a batch: what a connection sends for it and which result comes back.
enum PostgresCommand {
    /// Prepares a statement on the connection (no rows).
    case prepare(PostgresStatement)
    /// Runs a prepared statement with text parameters (nil is NULL).
    case execute(PostgresStatement, [String?])
    /// Parses and runs one SQL statement once, with text parameters.
    case query(String, [String?])
}
