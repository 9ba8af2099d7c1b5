/// The backend's schema, one migration per version (see `SQLiteMigrator`). Never edit a released
/// migration; append a new one.
enum Schema {
    static let migrations = [
        // 1: entries, and the responses remembered for idempotency keys.
        """
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            author TEXT NOT NULL CHECK (length(author) BETWEEN 1 AND 64),
            message TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
            created_at INTEGER NOT NULL
        );
        CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY,
            author TEXT NOT NULL,
            message TEXT NOT NULL,
            status INTEGER NOT NULL,
            location TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
        """
    ]
}
