import HTTPTypes

/// An error a handler throws to answer with the contract's JSON error body:
/// `{"error":{"code":"<snake_case>","message":"<for humans>"}}`, plus optional extra members.
public struct HTTPError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra members of the `error` object, such as `fields` for validation errors.
    public var details: [(String, JSONValue)]
    /// Headers the error response must carry, such as `Allow` on a 405.
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, message: String,
        details: [(String, JSONValue)] = [], headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public var response: Response {
        var error: [(String, JSONValue)] = [("code", .string(code)), ("message", .string(message))]
        error.append(contentsOf: details)
        var response = Response.json(.object([("error", .object(error))]), status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    public static func badRequest(_ message: String, code: String = "bad_request") -> HTTPError {
        HTTPError(.badRequest, code: code, message: message)
    }

    public static func notFound(_ message: String = "no such resource") -> HTTPError {
        HTTPError(.notFound, code: "not_found", message: message)
    }
}
