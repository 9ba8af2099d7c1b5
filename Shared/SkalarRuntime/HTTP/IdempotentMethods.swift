import HTTPTypes

extension HTTPRequest.Method {
    /// RFC 9110's idempotent methods, which a client may repeat after a connection failure.
    var isIdempotent: Bool {
        switch self {
        case .get, .head, .put, .delete, .options, .trace: return true
        default: return false
        }
    }
}
