import HTTPTypes
import SkalarRuntime

extension Response {
    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON; nil when it is not JSON.
    public var jsonBody: JSONValue? { try? JSONValue.parse(body) }

    /// The `code` of the contract's JSON error body, `{"error":{"code","message"}}`.
    public var errorCode: String? { jsonBody?["error"]?["code"]?.stringValue }

    /// The `message` of the contract's JSON error body.
    public var errorMessage: String? { jsonBody?["error"]?["message"]?.stringValue }
}
