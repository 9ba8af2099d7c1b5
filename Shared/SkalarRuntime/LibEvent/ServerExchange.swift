import CLibEvent
import Glibc
import HTTPTypes

/// One request an evhttp server is serving, until its reply is sent. It is only ever touched on its
/// loop's thread; it is Sendable so that the task answering it on that loop can hold it.
struct ServerExchange: @unchecked Sendable {
    private let request: OpaquePointer

    init(_ request: OpaquePointer) {
        self.request = request
    }

    /// The request target as sent, cut at its first `?` into path and query, both still percent-encoded.
    /// Cutting the C string decodes each part once, straight from evhttp's bytes.
    var target: (path: String, query: String) {
        let uri = evhttp_request_get_uri(request)!
        let length = strlen(uri)
        guard let mark = strchr(uri, Int32(UInt8(ascii: "?"))) else { return (Self.string(uri, count: length), "") }
        let pathLength = uri.distance(to: mark)
        return (Self.string(uri, count: pathLength), Self.string(mark + 1, count: length - pathLength - 1))
    }

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
        reason.withCString { evhttp_send_reply(request, Int32(status), $0, nil) }
    }

    private static func string(_ start: UnsafePointer<CChar>, count: Int) -> String {
        start.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }
}
