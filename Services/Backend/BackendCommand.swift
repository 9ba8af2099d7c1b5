import Glibc
import SkalarRuntime

/// The backend: the guestbook's JSON API over SQLite.
struct BackendCommand: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "backend", abstract: "Skalar backend: the guestbook's JSON API over SQLite.",
        discussion: "`backend healthcheck` asks a running backend's /healthz on 127.0.0.1:$PORT and exits 0 or 1.")

    /// How often expired idempotency keys are purged.
    static let purgeInterval = Duration.seconds(10 * 60)
    /// How long to wait before opening a database that could not be opened again.
    static let reopenDelay = Duration.seconds(1)

    static let defaultHealthcheckPort: Int? = 8081

    @OptionGroup var common: CommonOptions
    @Option(help: "SQLite database file; its directory must exist and be writable (DATABASE_PATH).") var databasePath: String?
    @Option(help: "Fill an empty database with this many generated entries, for load tests (SEED_ENTRIES).") var seedEntries: String?

    func run() throws {
        let reader = ConfigurationReader()
        let configuration = try common.resolve(service: "backend", defaultPort: 8081, defaultAdminPort: 9091, reader: reader)
        let databasePath = try Self.databasePath(reader.string(self.databasePath, "DATABASE_PATH", default: "./data/backend.sqlite"))
        let seedEntries = try reader.integer(self.seedEntries, "SEED_ENTRIES", in: 0...1_000_000, default: 0)

        let service = Service(configuration: configuration)
        let store = SQLiteEntryStore(path: databasePath, serviceMetrics: service.metrics)
        EntryRoutes(store: store).register(on: service.router)
        service.readinessCheck = { await store.readinessProblem() }
        let logger = service.logger
        let loop = service.loops.loops[0]
        service.startup = {
            // A file that cannot be opened yet (corrupt, replaced, a volume still attaching) keeps readiness
            // at 503 and is tried again, instead of a crash loop.
            while true {
                do {
                    try await store.open(seedEntries: seedEntries)
                    break
                } catch {
                    logger.error("database unavailable; retrying", metadata: ["path": "\(databasePath)", "error": "\(error)"])
                    await loop.sleep(for: Self.reopenDelay)
                }
            }
            Task(executorPreference: loop) {
                while true {
                    await loop.sleep(for: Self.purgeInterval)
                    do { try await store.purgeExpiredKeys() } catch { logger.warning("purging idempotency keys failed", metadata: ["error": "\(error)"]) }
                }
            }
        }
        try service.run()
    }

    /// The path, if its directory exists and is writable; SQLite also writes its -wal and -shm files there.
    private static func databasePath(_ path: String) throws(ConfigurationError) -> String {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let shown = directory.isEmpty ? "/" : directory
        guard !path.hasSuffix("/") else {
            throw ConfigurationError(variable: "DATABASE_PATH", value: path, accepted: "a file path, not a directory")
        }
        var status = stat()
        guard stat(shown, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw ConfigurationError(variable: "DATABASE_PATH", value: path, accepted: "a file in an existing directory (\(shown) does not exist)")
        }
        guard access(shown, W_OK) == 0 else {
            throw ConfigurationError(variable: "DATABASE_PATH", value: path, accepted: "a file in a writable directory (\(shown) is not writable)")
        }
        return path
    }
}
