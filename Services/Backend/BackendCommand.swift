import Glibc
import SkalarRuntime

/// The backend: the guestbook's JSON API over SQLite.
struct BackendCommand: ServiceCommand {
    static let name = "backend"
    static let abstract = "Skalar backend: the guestbook's JSON API over SQLite."
    static let defaultPort = 8081
    static let defaultAdminPort = 9091

    static let databasePath = Setting(
        "DATABASE_PATH", default: "./data/backend.sqlite", .databaseFile,
        help: "the SQLite file, Skalar's or none yet (any other is refused); SQLite also writes its `-wal` and `-shm` "
            + "files in its directory")
    static let seedEntries = Setting(
        "SEED_ENTRIES", default: 0, .integer(in: 0...1_000_000),
        help: "fill an empty database with this many generated entries, for load tests")
    static let settings: [any SettingDescription] = [databasePath, seedEntries]

    /// How often expired idempotency keys are purged.
    static let purgeInterval = Duration.seconds(10 * 60)
    /// How long to wait before opening a database that could not be opened again.
    static let reopenDelay = Duration.seconds(1)

    static func makeService(
        configuration: ServiceConfiguration, values: SettingValues
    ) throws(ConfigurationError) -> Service {
        let databasePath = try values.value(of: Self.databasePath)
        let seedEntries = try values.value(of: Self.seedEntries)
        if let refusal = DatabaseRefusal.check(path: databasePath, migrator: Schema.migrator) {
            throw refusal.configurationError(variable: Self.databasePath.variable, path: databasePath)
        }

        let service = Service(configuration: configuration)
        let store = SQLiteEntryStore(path: databasePath, serviceMetrics: service.metrics, logger: service.logger)
        EntryRoutes(store: store).register(on: service.router)
        service.readinessCheck = { await store.readinessProblem() }
        let logger = service.logger
        let loop = service.loops.loops[0]
        service.startup = {
            // A passing fault (a lock another process holds, a full disk, an I/O error) keeps readiness at
            // 503, with requests answered 503 at once, and is tried again; a file that must not be used
            // (found by the check above, or changed since) ends the start-up.
            while true {
                do {
                    try await store.open(seedEntries: seedEntries)
                    break
                } catch {
                    if let refusal = DatabaseRefusal.refusal(for: error) { throw refusal }
                    logger.error(
                        "database unavailable; retrying", metadata: ["path": "\(databasePath)", "error": "\(error)"])
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
