import CLibEvent
import HTTPTypes

extension HTTPRequest.Method {
    /// Every method evhttp knows; a server accepts them all so that the router can answer 405 with `Allow`.
    static let evhttpCommands: [evhttp_cmd_type] = [
        EVHTTP_REQ_GET, EVHTTP_REQ_POST, EVHTTP_REQ_HEAD, EVHTTP_REQ_PUT, EVHTTP_REQ_DELETE,
        EVHTTP_REQ_OPTIONS, EVHTTP_REQ_TRACE, EVHTTP_REQ_CONNECT, EVHTTP_REQ_PATCH,
    ]

    init(evhttpCommand: evhttp_cmd_type) {
        switch evhttpCommand {
        case EVHTTP_REQ_GET: self = .get
        case EVHTTP_REQ_POST: self = .post
        case EVHTTP_REQ_HEAD: self = .head
        case EVHTTP_REQ_PUT: self = .put
        case EVHTTP_REQ_DELETE: self = .delete
        case EVHTTP_REQ_OPTIONS: self = .options
        case EVHTTP_REQ_TRACE: self = .trace
        case EVHTTP_REQ_CONNECT: self = .connect
        default: self = .patch
        }
    }

    /// evhttp's command for this method; evhttp knows only the nine in `evhttpCommands`.
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
