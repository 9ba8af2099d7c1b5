import SkalarRuntime

/// What Flagger's webhooks send (`name`, `namespace`, `phase`, `checksum` and `metadata`), read for
/// `loadgen serve`: `metadata.cmd` holds loadgen's arguments, `metadata.type` says whether the call waits
/// for the run (`gate`) or starts it in the background (`load`, the default).
struct WebhookRequest {
    let kind: RunRegistry.Kind
    let arguments: [String]
    /// The canary's name, namespace and phase, for the logs.
    let canary: String
    let phase: String

    init(_ request: Request) throws(HTTPError) {
        let document: JSONValue
        do {
            document = try JSONValue.parse(request.body)
        } catch {
            throw HTTPError.badRequest("the body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard case .object = document else {
            throw HTTPError.badRequest(
                "the body must be a JSON object, as Flagger's webhooks send", code: "invalid_json")
        }
        guard let metadata = document["metadata"], case .object = metadata else {
            throw HTTPError.badRequest(
                "metadata is missing: it holds cmd, loadgen's arguments", code: "invalid_webhook")
        }
        guard let command = metadata["cmd"]?.stringValue else {
            throw HTTPError.badRequest("metadata.cmd must be a string of loadgen's arguments", code: "invalid_webhook")
        }
        switch metadata["type"].map({ $0.stringValue }) {
        case nil, "load"?: kind = .load
        case "gate"?: kind = .gate
        default:
            throw HTTPError.badRequest("metadata.type must be \"gate\" or \"load\"", code: "invalid_webhook")
        }
        switch CommandWords.arguments(command) {
        case let .success(words): arguments = words
        case let .failure(refusal): throw HTTPError.badRequest(refusal.description, code: "invalid_command")
        }
        let namespace = document["namespace"]?.stringValue
        let name = document["name"]?.stringValue
        canary = [namespace, name].compactMap { $0 }.joined(separator: "/")
        phase = document["phase"]?.stringValue ?? ""
    }
}
