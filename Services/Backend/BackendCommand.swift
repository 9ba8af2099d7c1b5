import Glibc
import SkalarPostgres
import SkalarRuntime

/// The backend: the guestbook's JSON API over SQLite, or over PostgreSQL when `DATABASE_URL` is set.
struct BackendCommand: ServiceCommand {
    static let name = "backend"
    static let abstract = "Skalar backend: the guestbook's JSON API over SQLite or PostgreSQL."
    static let defaultPort = 8081
    static let defaultAdminPort = 9091

    static let databasePath = Setting(
        "DATABASE_PATH", default: "./data/backend.sqlite", .databaseFile,
        help: "the SQLite file, Skalar's or none yet (any other is refused); SQLite also writes its `-wal` and `-shm` "
            + "files in its directory")
    static let seedEntries = Setting(
        "SEED_ENTRIES", default: 0, .integer(in: 0...1_000_000),
        help: "fill an empty database with this many generated entries, for load tests")
    static let databaseURL = Setting<PostgresConnectionString?>(
        "DATABASE_URL", default: "unset (SQLite at `DATABASE_PATH`)", computed: { nil }, .postgresConnectionString,
        help: "when set, the backend keeps its entries in this PostgreSQL database "
            + "(`postgresql://user@host:5432/db?sslmode=require`) and does not read `DATABASE_PATH`; the password "
            + "comes from the URI, `PGPASSWORD` or the password file (`PGPASSFILE`, else `~/.pgpass`)")
    static let postgresPoolSize = Setting(
        "POSTGRES_POOL_SIZE", default: 4, .integer(in: 1...100),
        help: "PostgreSQL connections per event loop, opened as load needs them")
    static let postgresPipelineDepth = Setting(
        "POSTGRES_PIPELINE_DEPTH", default: 1, .integer(in: 1...64),
        help: "queries in flight at once on one PostgreSQL connection (libpq's pipeline mode); 1 sends the "
            + "next only after the last answer")
    static let postgresQueryTimeout = Setting(
        "POSTGRES_QUERY_TIMEOUT_MS", default: .milliseconds(5000), .integerMilliseconds(in: 10...600_000),
        help: "deadline per PostgreSQL query, the wait for a connection included; past it a read gets 503 "
            + "`database_timeout`, a write 504 `write_outcome_unknown`. Also the connections' `statement_timeout`")
    static let settings: [any SettingDescription] = [
        databasePath, databaseURL, postgresPoolSize, postgresPipelineDepth, postgresQueryTimeout, seedEntries,
    ]

    /// How often expired idempotency keys are purged.
    static let purgeInterval = Duration.seconds(10 * 60)
    /// How long to wait before opening a database that could not be opened again.
    static let reopenDelay = Duration.seconds(1)
    /// The bound on one PostgreSQL connection's start-up: TCP, TLS, authentication, its prepared statements.
    static let connectTimeout = Duration.seconds(5)

    static func makeService(
        configuration: ServiceConfiguration, values: SettingValues
    ) throws(ConfigurationError) -> Service {
        let seedEntries = try values.value(of: Self.seedEntries)
        let service: Service
        let store: any EntryStore
        let database: String
        if let connectionString = try values.value(of: Self.databaseURL) {
            let options = PostgresClient.Options(
                poolSize: try values.value(of: Self.postgresPoolSize),
                pipelineDepth: try values.value(of: Self.postgresPipelineDepth),
                queryTimeout: try values.value(of: Self.postgresQueryTimeout),
                connectTimeout: Self.connectTimeout, applicationName: "skalar-backend \(configuration.podName)")
            service = Service(configuration: configuration)
            store = PostgresEntryStore(
                connectionString: connectionString, options: options, serviceMetrics: service.metrics,
                logger: service.logger)
            database = connectionString.summary
        } else {
            let databasePath = try values.value(of: Self.databasePath)
            if let refusal = DatabaseRefusal.check(path: databasePath, migrator: Schema.migrator) {
                throw refusal.configurationError(variable: Self.databasePath.variable, path: databasePath)
            }
            service = Service(configuration: configuration)
            store = SQLiteEntryStore(path: databasePath, serviceMetrics: service.metrics, logger: service.logger)
            database = databasePath
        }

        EntryRoutes(store: store).register(on: service.router)
        service.readinessCheck = { await store.readinessProblem() }
        let logger = service.logger
        let loop = service.loops.loops[0]
        service.startup = {
            // A passing fault (a lock another process holds, a full disk, an I/O error, a PostgreSQL server
            // that is down or refuses the login) keeps readiness at 503, with requests answered 503 at once,
            // and is tried again; an SQLite file that must not be used (found by the check above, or
            // changed since) ends the start-up.
            while true {
                do {
                    try await store.open(seedEntries: seedEntries)
                    break
                } catch {
                    if let refusal = DatabaseRefusal.refusal(for: error) { throw refusal }
                    logger.error(
                        "database unavailable; retrying", metadata: ["database": "\(database)", "error": "\(error)"])
                    await loop.sleep(for: Self.reopenDelay)
                }
            }
            Task(executorPreference: loop) {
                while true {
                    await loop.sleep(for: Self.purgeInterval)
                    do { try await store.purgeExpiredKeys() } catch {
                        logger.warning("purging idempotency keys failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        return service
    }
}

extension SettingFormat where Value == PostgresConnectionString? {
    /// What libpq's own parser accepts; its reason is in the error line, any password masked there.
    fileprivate static var postgresConnectionString: Self {
        let accepted = "a libpq connection URI or key=value string"
        return Self(accepted: accepted, render: { $0?.summary ?? "" }) { (text, variable) throws(ConfigurationError) in
            switch PostgresConnectionString.parse(text) {
            case let .success(connectionString):
                return connectionString
            case let .failure(error):
                throw ConfigurationError(
                    variable: variable, value: PostgresConnectionString.masked(text),
                    accepted: "\(accepted) (libpq: \(error.reason))")
            }
        }
    }
}

extension SettingFormat where Value == String {
    /// A file path whose directory exists and is writable, as SQLite's database and its -wal and -shm
    /// files need.
    fileprivate static var databaseFile: Self {
        Self(accepted: "a file in an existing, writable directory", render: { $0 }) {
            (path, variable) throws(ConfigurationError) in try checkedDatabasePath(path, variable: variable)
        }
    }

    private static func checkedDatabasePath(
        _ path: String, variable: String
    ) throws(ConfigurationError) -> String {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let shown = directory.isEmpty ? "/" : directory
        guard !path.hasSuffix("/") else {
            throw ConfigurationError(variable: variable, value: path, accepted: "a file path, not a directory")
        }
        var status = stat()
        guard stat(shown, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw ConfigurationError(
                variable: variable, value: path, accepted: "a file in an existing directory (\(shown) does not exist)")
        }
        guard access(shown, W_OK) == 0 else {
            throw ConfigurationError(
                variable: variable, value: path, accepted: "a file in a writable directory (\(shown) is not writable)")
        }
        return path
    }
}
