import HTTPTypes
import SkalarRuntime
import SkalarTesting
import Testing

@testable import Backend

/// The entries API through the request pipeline, over a real SQLite file in a temporary directory.
@Suite struct EntryRoutesTests {
    private func ids(_ response: Response) -> [Double] {
        guard case let .array(items)? = response.jsonBody?["items"] else { return [] }
        return items.compactMap { $0["id"]?.numberValue }
    }

    @Test func createdEntryCanBeFetched() async throws {
        try await withBackend { client in
            let created = await create(client, author: "  Ada ", message: "Hello\nworld")
            #expect(created.status == .created)
            #expect(created.headers[.contentType] == "application/json")
            #expect(created.headers[.location] == "/api/v1/entries/1")
            #expect(created.headers[.idempotentReplayed] == nil)
            let entry = try #require(created.jsonBody)
            #expect(entry["id"] == 1 && entry["author"] == "Ada" && entry["message"] == "Hello\nworld")
            let createdAt = try #require(entry["createdAt"]?.stringValue)
            #expect(createdAt.count == 24 && createdAt.hasSuffix("Z") && Array(createdAt)[10] == "T")

            let fetched = await client.execute(.get, "/api/v1/entries/1")
            #expect(fetched.status == .ok)
            #expect(fetched.headers[.contentType] == "application/json")
            #expect(fetched.body == created.body)
        }
    }

    @Test func unknownAndInvalidIDs() async throws {
        try await withBackend { client in
            let missing = await client.execute(.get, "/api/v1/entries/42")
            #expect(missing.status == .notFound)
            #expect(missing.bodyText == #"{"error":{"code":"not_found","message":"no entry 42"}}"#)
            for path in ["/api/v1/entries/0", "/api/v1/entries/-1", "/api/v1/entries/abc", "/api/v1/entries/1.5"] {
                let invalid = await client.execute(.get, path)
                #expect(invalid.status == .badRequest && invalid.errorCode == "invalid_id", "\(path)")
                #expect(invalid.errorMessage == "the entry id must be a positive integer")
            }
            #expect(await client.execute(.delete, "/api/v1/entries/abc").errorCode == "invalid_id")
        }
    }

    @Test func pagesFollowTheirNextToken() async throws {
        try await withBackend { client in
            for index in 1...5 { await create(client, message: "entry \(index)") }
            let first = await client.execute(.get, "/api/v1/entries?limit=2")
            #expect(first.status == .ok)
            #expect(ids(first) == [5, 4] && first.jsonBody?["next"] == 4)
            let second = await client.execute(.get, "/api/v1/entries?limit=2&before=4")
            #expect(ids(second) == [3, 2] && second.jsonBody?["next"] == 2)
            let last = await client.execute(.get, "/api/v1/entries?before=2&limit=2")
            #expect(ids(last) == [1] && last.jsonBody?["next"] == .null)
            // A page that ends exactly at the last entry has no next page.
            #expect(await client.execute(.get, "/api/v1/entries?limit=5").jsonBody?["next"] == .null)
            let everything = await client.execute(.get, "/api/v1/entries")
            #expect(ids(everything) == [5, 4, 3, 2, 1])
            #expect(everything.jsonBody?["items"]?.arrayFirst?["message"] == "entry 5")
        }
    }

    @Test func pageSizeIsTwentyByDefault() async throws {
        try await withBackend { client in
            for _ in 1...21 { await create(client) }
            let page = await client.execute(.get, "/api/v1/entries")
            #expect(ids(page) == (2...21).reversed().map(Double.init) && page.jsonBody?["next"] == 2)
            #expect(ids(await client.execute(.get, "/api/v1/entries?before=2")) == [1])
        }
    }

    @Test func pageQueriesAreValidated() async throws {
        try await withBackend { client in
            for query in ["limit=0", "limit=101", "limit=ten", "limit=", "limit=2.5"] {
                let response = await client.execute(.get, "/api/v1/entries?\(query)")
                #expect(response.status == .badRequest && response.errorCode == "invalid_query", "\(query)")
                #expect(response.errorMessage == "limit must be an integer from 1 to 100", "\(query)")
            }
            for query in ["before=0", "before=-4", "before=x"] {
                let response = await client.execute(.get, "/api/v1/entries?\(query)")
                #expect(response.errorCode == "invalid_query", "\(query)")
                #expect(response.errorMessage == "before must be an integer from 1", "\(query)")
            }
            #expect(await client.execute(.get, "/api/v1/entries?limit=100").status == .ok)
            #expect(await client.execute(.get, "/api/v1/entries?limit=1&other=ignored").status == .ok)
        }
    }

    @Test func aQueryThatDoesNotDecodeIsRefusedLikeABadValue() async throws {
        try await withBackend { client in
            // `limit=%ff` decodes to a byte that is not UTF-8; it used to be skipped (the default page).
            for query in ["limit=%ff", "limit=%zz", "before=%c3%28", "limit=5&other=%ff", "%ff"] {
                let response = await client.execute(.get, "/api/v1/entries?\(query)")
                #expect(response.status == .badRequest && response.errorCode == "invalid_query", "\(query)")
                #expect(
                    response.errorMessage == "the query string has a name or value that is not percent-encoded UTF-8",
                    "\(query)")
            }
            let fields = (1...URLEncodedForm.maximumFields).map { "p\($0)=1" }.joined(separator: "&")
            let crowded = await client.execute(.get, "/api/v1/entries?\(fields)&limit=5")
            #expect(crowded.status == .badRequest && crowded.errorCode == "invalid_query")
            #expect(crowded.errorMessage == "the query string has more than 100 fields")
            #expect(await client.execute(.get, "/api/v1/entries?limit=%35").status == .ok)
        }
    }

    @Test func deletedEntriesAreGone() async throws {
        try await withBackend { client in
            await create(client)
            await create(client)
            let deleted = await client.execute(.delete, "/api/v1/entries/1")
            #expect(deleted.status == .noContent && deleted.body.isEmpty)
            #expect(await client.execute(.get, "/api/v1/entries/1").status == .notFound)
            let again = await client.execute(.delete, "/api/v1/entries/1")
            #expect(again.status == .notFound && again.errorMessage == "no entry 1")
            #expect(ids(await client.execute(.get, "/api/v1/entries")) == [2])
        }
    }

    @Test func idempotencyKeyReplaysTheFirstResponse() async throws {
        try await withBackend { client in
            let first = await create(client, idempotencyKey: "key-1")
            let repeated = await create(client, idempotencyKey: "key-1")
            #expect(first.status == .created && repeated.status == .created)
            #expect(first.headers[.idempotentReplayed] == nil)
            #expect(repeated.headers[.idempotentReplayed] == "true")
            #expect(repeated.headers[.location] == first.headers[.location])
            #expect(repeated.body == first.body)
            #expect(repeated.headers[.contentType] == "application/json")

            let conflict = await create(client, message: "something else", idempotencyKey: "key-1")
            #expect(conflict.status == .conflict && conflict.errorCode == "idempotency_key_reused")
            let other = await create(client, idempotencyKey: "key-2")
            #expect(other.headers[.location] == "/api/v1/entries/2" && other.headers[.idempotentReplayed] == nil)
            #expect(ids(await client.execute(.get, "/api/v1/entries")) == [2, 1])
        }
    }

    @Test func idempotencyKeysAreValidated() async throws {
        try await withBackend { client in
            for key in ["has space", String(repeating: "k", count: 256), "caf\u{E9}"] {
                let response = await create(client, idempotencyKey: key)
                #expect(response.status == .badRequest && response.errorCode == "invalid_idempotency_key", "\(key)")
            }
            #expect(await create(client, idempotencyKey: String(repeating: "k", count: 255)).status == .created)
            #expect(ids(await client.execute(.get, "/api/v1/entries")) == [1])
        }
    }

    @Test func refusedEntriesAreJSONErrorsAndStoreNothing() async throws {
        try await withBackend(maxBodyBytes: 256) { client in
            let form = await client.execute(.post, "/api/v1/entries", body: "author=Ada&message=Hi")
            #expect(form.status == .unsupportedMediaType && form.errorCode == "unsupported_media_type")
            let broken = await client.execute(.post, "/api/v1/entries", headers: jsonHeaders(), body: "{")
            #expect(broken.status == .badRequest && broken.errorCode == "invalid_json")
            let invalid = await client.execute(
                .post, "/api/v1/entries", headers: jsonHeaders(), body: #"{"author":"","message":"Hi"}"#)
            #expect(invalid.status == .unprocessableContent)
            #expect(invalid.headers[.contentType] == "application/json")
            #expect(
                invalid.jsonBody == [
                    "error": [
                        "code": "validation_failed", "message": "the entry is not valid",
                        "fields": ["author": "must not be empty"],
                    ]
                ])
            let large = await create(client, message: String(repeating: "m", count: 300))
            #expect(large.status == .contentTooLarge && large.errorCode == "body_too_large")
            let listed = await client.execute(.get, "/api/v1/entries")
            #expect(listed.jsonBody == ["items": [], "next": .null])
        }
    }

    @Test func otherMethodsAre405() async throws {
        try await withBackend { client in
            let put = await client.execute(.put, "/api/v1/entries/1")
            #expect(put.status == .methodNotAllowed && put.headers[.allow] == "DELETE, GET, HEAD")
            let patch = await client.execute(.patch, "/api/v1/entries")
            #expect(patch.status == .methodNotAllowed && patch.headers[.allow] == "GET, HEAD, POST")
            #expect(patch.errorCode == "method_not_allowed")
        }
    }

    @Test func readinessWaitsForTheDatabase() async throws {
        try await withBackendStore { client, store, _ in
            let starting = await client.execute(.get, "/readyz")
            #expect(starting.status == .serviceUnavailable && starting.errorMessage == "database not open yet")
            try await store.open(seedEntries: 3)
            #expect(await client.execute(.get, "/readyz").status == .ok)
            #expect(ids(await client.execute(.get, "/api/v1/entries")) == [3, 2, 1])
        }
    }

    @Test func storeMetricsReachTheExposition() async throws {
        try await withBackend { client in
            await create(client)
            await create(client)
            _ = await client.execute(.delete, "/api/v1/entries/2")
            let lines = await client.execute(.get, "/metrics").bodyText.split(separator: "\n")
            #expect(lines.contains("guestbook_entries 1.0"))
            #expect(lines.contains(#"db_query_duration_seconds_count{operation="insert"} 2"#))
            #expect(lines.contains(#"db_query_duration_seconds_count{operation="delete"} 1"#))
            let created = #"http_request_method="POST",http_route="/api/v1/entries",http_response_status_code="201""#
            #expect(lines.contains("http_server_request_duration_seconds_count{\(created)} 2"))
        }
    }
}

extension JSONValue {
    /// The first element of an array.
    fileprivate var arrayFirst: JSONValue? {
        guard case let .array(elements) = self else { return nil }
        return elements.first
    }
}
