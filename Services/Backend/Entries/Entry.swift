import SkalarRuntime

/// A guestbook entry as stored.
struct Entry: Sendable, Equatable {
    let id: Int64
    let author: String
    let message: String
    /// Milliseconds since the Unix epoch, UTC.
    let createdAt: Int64

    var json: JSONValue {
        [
            "id": .number(Double(id)),
            "author": .string(author),
            "message": .string(message),
            "createdAt": .string(WallClock.rfc3339(milliseconds: createdAt)),
        ]
    }

    var location: String { "/api/v1/entries/\(id)" }
}

/// A validated entry that is not stored yet.
struct EntryDraft: Sendable, Equatable {
    let author: String
    let message: String
}

/// One page of entries, newest first, and the `before` value that fetches the next page.
struct EntryPage: Sendable {
    let items: [Entry]
    let next: Int64?

    var json: JSONValue {
        ["items": .array(items.map(\.json)), "next": next.map { .number(Double($0)) } ?? .null]
    }
}
