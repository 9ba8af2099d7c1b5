import CLibEvent
import HTTPTypes

extension HTTPRequest.Method {
    /// evhttp's command for this method; evhttp's client knows only the nine methods of RFC 9110 and PATCH.
    var evhttpCommand: evhttp_cmd_type {
        switch self {
        case .get: return EVHTTP_REQ_GET
        case .post: return EVHTTP_REQ_POST
        case .head: return EVHTTP_REQ_HEAD
        case .put: return EVHTTP_REQ_PUT
        case .delete: return EVHTTP_REQ_DELETE
        case .options: return EVHTTP_REQ_OPTIONS
        case .trace: return EVHTTP_REQ_TRACE
        case .connect: return EVHTTP_REQ_CONNECT
        default: return EVHTTP_REQ_PATCH
        }
    }
}
