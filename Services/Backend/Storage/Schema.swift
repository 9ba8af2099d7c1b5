import SkalarSQLite

/// The backend's schema, one migration per version (see `SQLiteMigrator`). Never edit a released
/// migration; append a new one.
enum Schema {
    /// `PRAGMA application_id` of Skalar's databases: "SKLR" in ASCII (1397443666). The backend
    /// refuses an SQLite file marked with any other id (docs/architecture.md).
    static let applicationID: Int32 = 0x534B_4C52

    static let migrator = SQLiteMigrator(applicationID: applicationID, migrations: migrations)

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
