/// Where entries live. The routes only see this protocol, so another engine (PostgreSQL for
/// multi-replica backends) fits without touching them.
protocol EntryStore: Sendable {
    /// Stores `draft`. With an idempotency key, a repeat of the same request replays the first response
    /// and stores nothing; the same key with a different draft is a conflict.
    func create(_ draft: EntryDraft, idempotencyKey: String?) async throws -> CreateOutcome
    func entry(id: Int64) async throws -> Entry?
    /// Up to `limit` entries with ids below `before` (all when nil), newest first.
    func page(limit: Int, before: Int64?) async throws -> EntryPage
    /// Removes an entry; false when there was none.
    func delete(id: Int64) async throws -> Bool
    /// Nil when the store can serve, or why not; must answer within a small budget.
    func readinessProblem() async -> String?

    /// Start-up: connects, migrates the schema and fills an empty store with `seedEntries` generated
    /// entries. Throws while the database cannot be used yet; start-up tries again.
    func open(seedEntries: Int) async throws
    /// Forgets idempotency keys past their lifetime; start-up runs it every few minutes.
    func purgeExpiredKeys() async throws
}

/// A store failure that is not a bug: the routes answer each with its own status and error code.
enum StoreError: Error, Equatable, CaseIterable {
    /// Another process held the database lock past the busy timeout. Nothing was stored; a retry may work.
    case busy
    /// The file system has no room for the write. Nothing was stored; writes work again once space frees.
    case storageFull
    /// The database cannot be used yet: not open (start-up is still retrying it), or its server cannot be
    /// reached. Nothing was stored, or, when a PostgreSQL connection broke during a write, perhaps it
    /// was: a retry with the same `Idempotency-Key` is safe.
    case unavailable
    /// The database file, or its write-ahead log, was deleted or replaced while open, so what the store
    /// writes would not be in the file at the path. Lasts until the backend restarts.
    case fileLost
    /// PostgreSQL did not answer a read within the query deadline, or cancelled a statement at its
    /// `statement_timeout`. Nothing changed; a retry may work.
    case timeout
    /// A write went to PostgreSQL but its answer never came back (the deadline passed, or the connection
    /// broke): it may be committed. Repeating it blindly could store it twice; the client can repeat it
    /// with the same `Idempotency-Key`, or look before writing again.
    case writeOutcomeUnknown

    /// The `reason` label of `db_write_errors_total`.
    var reason: String {
        switch self {
        case .busy: "busy"
        case .storageFull: "storage_full"
        case .unavailable: "unavailable"
        case .fileLost: "file_lost"
        case .timeout: "timeout"
        case .writeOutcomeUnknown: "outcome_unknown"
        }
    }
}

/// What a create did.
enum CreateOutcome: Sendable {
    case created(Entry)
    /// The key was seen with the same draft: the first response, byte for byte.
    case replayed(StoredResponse)
    /// The key was seen with a different draft.
    case conflict
}

/// A response kept for an idempotency key.
struct StoredResponse: Sendable {
    let status: Int
    let location: String
    let body: String
}

/// How long an idempotency key is remembered: a day outlasts any client's or mesh's retry window.
let idempotencyKeyLifetime = Duration.seconds(24 * 60 * 60)
