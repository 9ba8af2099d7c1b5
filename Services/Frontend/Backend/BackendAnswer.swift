import HTTPTypes
import SkalarRuntime

/// Tells the backend's own answers apart from answers made up on the way to it.
///
/// Under Istio the frontend's sidecar answers for a backend it cannot reach or that is too slow, with
/// Envoy's local replies in `text/plain` (`503 no healthy upstream`, `503 upstream connect error …`,
/// `504 upstream request timeout`, a fault abort, `403 RBAC: access denied`); a proxy in between may
/// answer HTML. Passed through, those would break the frontend's JSON error contract. The backend answers
/// every call the frontend makes with JSON and every error as `{"error":{"code","message"}}`, so an answer
/// is the backend's own exactly when it has a JSON `Content-Type` and, for an error, that shape. The
/// `server` header cannot tell them apart: a sidecar rewrites it on the backend's real answers too.
enum BackendAnswer {
    /// The longest part of a mesh's plain-text reply quoted in the frontend's error message.
    static let quotedReasonLength = 160

    /// `nil` when `response` is the backend's own answer, else the error the frontend answers instead:
    /// 503 `backend_unavailable` for a 503, 504 `backend_timeout` for a 504 (the mesh gave up waiting),
    /// and 502 `backend_error` for anything else. 503 stays 503 so the gateway's `retryOn: 503` still
    /// repeats a request the mesh refused without reaching the backend.
    static func gatewayError(for response: ClientResponse) -> HTTPError? {
        let contentType = response.headers[.contentType]
        if let contentType, HeaderValues.isJSON(contentType) {
            // Successes are not parsed here: their callers parse them anyway, and this runs on every call.
            if response.status < 400 || isContractError(response.body) { return nil }
        }
        var answered =
            "the call answered \(response.status) "
            + "\(contentType.map(HeaderValues.mediaType) ?? "without a Content-Type")"
        if let reason = plainTextReason(response, contentType: contentType) { answered += ": \(reason)" }
        switch response.status {
        case 503:
            return HTTPError(
                .serviceUnavailable, code: "backend_unavailable", message: "the backend is unavailable (\(answered))")
        case 504:
            return HTTPError(
                .gatewayTimeout, code: "backend_timeout", message: "the backend did not answer in time (\(answered))")
        default:
            return HTTPError(
                .badGateway, code: "backend_error", message: "the backend's answer was not its JSON (\(answered))")
        }
    }

    /// Whether an error body has the backend's shape, `{"error":{"code":"…","message":"…"}}`.
    private static func isContractError(_ body: [UInt8]) -> Bool {
        guard let error = (try? JSONValue.parse(body))?["error"], let code = error["code"]?.stringValue else {
            return false
        }
        return !code.isEmpty && error["message"]?.stringValue != nil
    }

    /// The first line of a `text/plain` reply, such as Envoy's "no healthy upstream", when it is short
    /// printable ASCII: it tells an operator which part of the mesh refused, and an HTML page would not.
    private static func plainTextReason(_ response: ClientResponse, contentType: String?) -> String? {
        guard let contentType, HeaderValues.mediaType(contentType) == "text/plain" else { return nil }
        let line = response.body.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        guard !line.isEmpty, line.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let reason = String(decoding: line.prefix(quotedReasonLength), as: UTF8.self)
        return line.count > quotedReasonLength ? reason + "…" : reason
    }
}
