import Glibc
import HTTPTypes
import SkalarRuntime
import SkalarTesting

@testable import Backend

/// Runs `body` against a backend whose database is open.
func withBackend(maxBodyBytes: Int? = nil, _ body: (TestClient) async throws -> Void) async throws {
    try await withBackendStore(maxBodyBytes: maxBodyBytes) { client, store, _ in
        try await store.open(seedEntries: 0)
        try await body(client)
    }
}

/// Runs `body` against a backend whose store is made but not opened, over `backend.sqlite` in a
/// temporary directory (`body` gets its path). The store is closed and the service stopped before the
/// directory is removed.
func withBackendStore(
    maxBodyBytes: Int? = nil, _ body: (TestClient, SQLiteEntryStore, String) async throws -> Void
) async throws {
    try await withTemporaryDirectory { directory in
        try await withTestService(configuration: .testing(service: "backend", maxBodyBytes: maxBodyBytes)) {
            service in
            let path = "\(directory)/backend.sqlite"
            let store = SQLiteEntryStore(path: path, serviceMetrics: service.metrics, logger: service.logger)
            EntryRoutes(store: store).register(on: service.router)
            let client = service.start(readinessCheck: { await store.readinessProblem() })
            do {
                try await body(client, store, path)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }
}

func jsonHeaders(idempotencyKey: String? = nil) -> HTTPFields {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    headers[.idempotencyKey] = idempotencyKey
    return headers
}

@discardableResult
func create(
    _ client: TestClient, author: String = "Ada", message: String = "Hello", idempotencyKey: String? = nil
) async -> Response {
    let body: JSONValue = ["author": .string(author), "message": .string(message)]
    let headers = jsonHeaders(idempotencyKey: idempotencyKey)
    return await client.execute(.post, "/api/v1/entries", headers: headers, body: body.serializedBytes)
}

/// A file's bytes, to show that something left it unchanged; nil when it cannot be read.
func fileBytes(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        bytes += buffer.prefix(count)
        if count < buffer.count { return bytes }
    }
}
