import CLibPQ

/// A libpq connection string (`postgresql://user@host:5432/db?sslmode=require`, or `key=value` pairs),
/// checked by libpq's own parser. libpq applies it: `sslmode` and the other parameters, a password from
/// the URI, `PGPASSWORD` or the password file (`PGPASSFILE`, else `~/.pgpass`).
///
/// The text may hold a password, so it is never shown: `summary` names the server without it.
public struct PostgresConnectionString: Sendable {
    /// The text as given; passed to libpq whole (`expand_dbname`), never logged.
    let text: String
    /// The parameters libpq read from it, by keyword (only those it gave a value).
    let parameters: [String: String]

    /// Nil, with libpq's reason, when libpq cannot parse `text`. The reason never holds the password:
    /// libpq quotes the part it could not read, which may be it, so that part is masked.
    public static func parse(_ text: String) -> Result<PostgresConnectionString, PostgresConnectionStringError> {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &message) else {
            let reason = message.map { String(cString: $0) } ?? "out of memory"
            if let message { PQfreemem(message) }
            return .failure(PostgresConnectionStringError(reason: masked(reason.trimmingNewlines(), in: text)))
        }
        defer { PQconninfoFree(options) }
        var parameters: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { parameters[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        if let problem = problem(with: parameters) {
            return .failure(PostgresConnectionStringError(reason: problem))
        }
        return .success(PostgresConnectionString(text: text, parameters: parameters))
    }

    static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// What libpq's parser lets through but its connections would refuse every time, so that a typo stops
    /// the start-up instead of keeping the backend unready: a port that is not a number, an unknown
    /// `sslmode`.
    private static func problem(with parameters: [String: String]) -> String? {
        if let ports = parameters["port"] {
            for port in ports.split(separator: ",", omittingEmptySubsequences: false) where !port.isEmpty {
                guard let number = Int(port), (1...65535).contains(number) else {
                    return "invalid port \"\(port)\": expected a number from 1 to 65535"
                }
            }
        }
        if let mode = parameters["sslmode"], !sslModes.contains(mode) {
            return "invalid sslmode \"\(mode)\": expected one of \(sslModes.joined(separator: ", "))"
        }
        return nil
    }

    /// The server and role it names, for logs: `host:port/dbname as user`, with libpq's defaults left out.
    public var summary: String {
        let host = parameters["host"] ?? parameters["hostaddr"] ?? "(default socket)"
        let port = parameters["port"].map { ":\($0)" } ?? ""
        let database = parameters["dbname"].map { "/\($0)" } ?? ""
        let user = parameters["user"].map { " as \($0)" } ?? ""
        return host + port + database + user
    }

    /// `text` with whatever could be a password in it replaced by `***`, for an error line.
    public static func masked(_ text: String) -> String {
        masked(text, in: text)
    }

    /// `reason` with whatever in `text` could be a password replaced by `***`: the userinfo after
    /// `user:` in a URI, and a `password=` value.
    static func masked(_ reason: String, in text: String) -> String {
        var secrets: [Substring] = []
        if let scheme = text.firstRange(of: "://") {
            let rest = text[scheme.upperBound...]
            if let at = rest.firstIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                secrets.append(rest[rest.index(after: colon)..<at])
            }
        }
        if let key = text.firstRange(of: "password=") {
            let value = text[key.upperBound...].prefix { $0 != " " && $0 != "&" }
            secrets.append(value)
        }
        var result = reason
        for secret in secrets where !secret.isEmpty {
            result = result.replacing(secret, with: "***")
        }
        return result
    }
}

/// Why libpq refused a connection string, with any password in it masked.
public struct PostgresConnectionStringError: Error, Sendable {
    public let reason: String
}

extension String {
    func trimmingNewlines() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
