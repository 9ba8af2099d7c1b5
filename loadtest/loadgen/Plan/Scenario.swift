import HTTPTypes
import SkalarRuntime

/// One kind of request in the mix, with its weight.
struct Scenario: Equatable {
    enum Body: Equatable {
        case none
        /// A JSON guestbook entry with a fresh `Idempotency-Key` per request.
        case newEntry
        case fixed(String)
    }

    let name: String
    let method: HTTPRequest.Method
    let path: String
    let weight: Int
    let body: Body

    /// The built-in scenarios `--mix` names.
    static func named(_ name: String, weight: Int) -> Scenario? {
        switch name {
        case "page": return Scenario(name: name, method: .get, path: "/", weight: weight, body: .none)
        case "list": return Scenario(name: name, method: .get, path: "/api/entries", weight: weight, body: .none)
        case "post": return Scenario(name: name, method: .post, path: "/api/entries", weight: weight, body: .newEntry)
        default: return nil
        }
    }

    /// `page=1,list=8,post=1`: built-in scenarios and their weights.
    static func parseMix(_ text: String) -> [Scenario]? {
        var scenarios: [Scenario] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let weight = parts.count == 2 ? Int(parts[1]) : 1
            guard let weight, weight > 0, let scenario = named(parts[0], weight: weight) else { return nil }
            scenarios.append(scenario)
        }
        return scenarios.isEmpty ? nil : scenarios
    }

    /// A mix file: `{"scenarios":[{"name":"…","method":"GET","path":"/","weight":1,"body":{…}}]}`; a
    /// `"body"` of `"entry"` posts generated guestbook entries.
    static func parseMixFile(_ bytes: [UInt8]) throws(LoadgenError) -> [Scenario] {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch {
            throw LoadgenError.usage("the mix file is not JSON: \(error)")
        }
        guard case let .array(items)? = document["scenarios"], !items.isEmpty else {
            throw LoadgenError.usage("the mix file needs a non-empty \"scenarios\" array")
        }
        var scenarios: [Scenario] = []
        for (index, item) in items.enumerated() {
            guard let path = item["path"]?.stringValue, path.hasPrefix("/") else {
                throw LoadgenError.usage("scenario \(index + 1) needs a \"path\" starting with /")
            }
            let method = HTTPRequest.Method(item["method"]?.stringValue ?? "GET") ?? .get
            let weight = item["weight"]?.numberValue ?? 1
            guard weight >= 1, weight == weight.rounded() else {
                throw LoadgenError.usage("scenario \(index + 1) needs a whole \"weight\" of at least 1")
            }
            let body: Body
            switch item["body"] {
            case nil, .null?: body = .none
            case .string("entry")?: body = .newEntry
            case let value?: body = .fixed(value.serialized)
            }
            scenarios.append(
                Scenario(
                    name: item["name"]?.stringValue ?? "\(method) \(path)", method: method, path: path,
                    weight: Int(weight), body: body))
        }
        return scenarios
    }
}
