import HTTPTypes
import SkalarRuntime

/// The guestbook API: `/api/v1/entries` and `/api/v1/entries/{id}`.
struct EntryRoutes {
    static let pageSizes = 1...100
    static let defaultPageSize = 20
    /// Idempotency keys are opaque client tokens; a UUID needs 36 characters, 255 leaves room for any scheme.
    static let idempotencyKeyLength = 1...255

    let store: any EntryStore

    func register(on router: Router) {
        router.get("/api/v1/entries") { [store] request in
            let limit =
                try Self.integer(request.queryItem("limit"), name: "limit", in: Self.pageSizes) ?? Self.defaultPageSize
            let before = try Self.integer(request.queryItem("before"), name: "before", in: 1...Int.max).map(Int64.init)
            return .json(try await Self.storage { try await store.page(limit: limit, before: before) }.json)
        }
        router.post("/api/v1/entries") { [store] request in
            let draft = try EntryValidation.draft(from: request)
            let key = try Self.idempotencyKey(request)
            switch try await Self.storage({ try await store.create(draft, idempotencyKey: key) }) {
            case let .created(entry):
                return Self.created(location: entry.location, body: entry.json.serialized, replayed: false)
            case let .replayed(stored):
                return Self.created(location: stored.location, body: stored.body, replayed: true)
            case .conflict:
                throw HTTPError(
                    .conflict, code: "idempotency_key_reused",
                    message: "this Idempotency-Key was already used with a different entry")
            }
        }
        router.get("/api/v1/entries/{id}") { [store] request in
            let id = try Self.entryID(request)
            guard let entry = try await Self.storage({ try await store.entry(id: id) }) else {
                throw HTTPError.notFound("no entry \(id)")
            }
            return .json(entry.json)
        }
        router.delete("/api/v1/entries/{id}") { [store] request in
            let id = try Self.entryID(request)
            guard try await Self.storage({ try await store.delete(id: id) }) else {
                throw HTTPError.notFound("no entry \(id)")
            }
            return Response(status: .noContent)
        }
    }

    private static func created(location: String, body: String, replayed: Bool) -> Response {
        var response = Response(status: .created, body: Array(body.utf8))
        response.headers[.contentType] = "application/json"
        response.headers[.location] = location
        if replayed { response.headers[.idempotentReplayed] = "true" }
        return response
    }

    private static func entryID(_ request: Request) throws(HTTPError) -> Int64 {
        guard let id = Int64(request.parameters["id"] ?? ""), id > 0 else {
            throw HTTPError.badRequest("the entry id must be a positive integer", code: "invalid_id")
        }
        return id
    }

    private static func integer(_ text: String?, name: String, in range: ClosedRange<Int>) throws(HTTPError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            let upper = range.upperBound == Int.max ? "" : " to \(range.upperBound)"
            throw HTTPError.badRequest(
                "\(name) must be an integer from \(range.lowerBound)\(upper)", code: "invalid_query")
        }
        return value
    }

    private static func idempotencyKey(_ request: Request) throws(HTTPError) -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        let utf8 = key.utf8
        guard idempotencyKeyLength.contains(utf8.count), utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw HTTPError.badRequest(
                "Idempotency-Key must be 1 to 255 visible ASCII characters", code: "invalid_idempotency_key")
        }
        return key
    }

    /// Runs a store call, answering each `StoreError` with its own status and code.
    private static func storage<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as HTTPError {
            throw error
        } catch let error as StoreError {
            throw httpError(error)
        }
    }

    /// 503 for what a retry may get past, as nothing was stored: the mesh retries 503s. 504 for a
    /// PostgreSQL write cut off by a lost connection or its deadline, which may be stored: a retry that
    /// no one asked for could store it twice, so it must not be a 503; the client may repeat it with
    /// the same `Idempotency-Key`. 507 for a full disk, which a retry right away would only hit again.
    static func httpError(_ error: StoreError) -> HTTPError {
        var retryLater = HTTPFields()
        retryLater[.retryAfter] = "1"
        switch error {
        case .busy:
            return HTTPError(
                .serviceUnavailable, code: "database_busy", message: "the database is busy; retry", headers: retryLater)
        case .unavailable:
            return HTTPError(
                .serviceUnavailable, code: "database_unavailable",
                message: "the database is not open yet or cannot be reached; retry", headers: retryLater)
        case .storageFull:
            return HTTPError(
                .insufficientStorage, code: "storage_full",
                message: "the database's file system is full; nothing was stored")
        case .fileLost:
            return HTTPError(
                .serviceUnavailable, code: "database_file_lost",
                message: "the database file was deleted or replaced while open; nothing is stored until the "
                    + "backend restarts")
        case .timeout:
            return HTTPError(
                .serviceUnavailable, code: "database_timeout", message: "the database did not answer in time; retry",
                headers: retryLater)
        case .writeOutcomeUnknown:
            return HTTPError(
                .gatewayTimeout, code: "write_outcome_unknown",
                message: "the database did not confirm the write; it may be stored: repeat it only with the same "
                    + "Idempotency-Key")
        }
    }
}

extension HTTPResponse.Status {
    /// 507 (RFC 4918): the server cannot store what the request needs stored.
    static var insufficientStorage: Self { .init(code: 507, reasonPhrase: "Insufficient Storage") }
}
