import CLibEvent
import HTTPTypes

/// One request an evhttp server is serving, until its reply is sent. It is only ever touched on its
/// loop's thread; it is Sendable so that the task answering it on that loop can hold it.
struct ServerExchange: @unchecked Sendable {
    private let request: OpaquePointer

    init(_ request: OpaquePointer) {
        self.request = request
    }

    /// The request target as sent: path and query, still percent-encoded.
    var target: String { String(cString: evhttp_request_get_uri(request)) }

    var method: HTTPRequest.Method { HTTPRequest.Method(evhttpCommand: evhttp_request_get_command(request)) }

    var headers: HTTPFields { HeaderList(pointer: evhttp_request_get_input_headers(request)).fields() }

    var body: [UInt8] { EventBuffer(pointer: evhttp_request_get_input_buffer(request)).bytes() }

    var connection: ServerConnection? {
        evhttp_request_get_connection(request).map(ServerConnection.init(pointer:))
    }

    var responseHeaders: HeaderList { HeaderList(pointer: evhttp_request_get_output_headers(request)) }

    var responseBody: EventBuffer { EventBuffer(pointer: evhttp_request_get_output_buffer(request)) }

    /// Sends the status line, `responseHeaders` and `responseBody`; evhttp frees the exchange afterwards.
    func reply(status: Int, reason: String) {
        evhttp_send_reply(request, Int32(status), reason, nil)
    }
}
