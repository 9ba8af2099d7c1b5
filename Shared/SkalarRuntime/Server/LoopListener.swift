import CLibEvent
import Glibc
import HTTPTypes

/// One evhttp server on one event loop: turns evhttp's callbacks into `Request`s, runs the pipeline in
/// a task that prefers the loop's executor, and writes the `Response` back on the same thread.
///
/// All members are loop-local except the immutable ones; the type is Sendable only so that tasks on the
/// loop can hold it.
final class LoopListener: @unchecked Sendable {
    let loop: EventLoop
    private let pipeline: RequestPipeline
    private let state: ServiceState
    /// `X-App-Version`'s value, kept as a C string because it goes out on every response.
    private let version: [CChar]
    private let http: OpaquePointer
    private var boundSocket: OpaquePointer?
    private var inFlight = 0
    private var freed = false
    /// Connections that carried a request, so shutdown can wait until their responses are flushed.
    /// evhttp calls the close callback for every incoming connection it frees, so the set never holds
    /// a dangling pointer.
    private var connections = Set<OpaquePointer>()

    init(loop: EventLoop, pipeline: RequestPipeline, state: ServiceState, limits: ServerLimits, version: String) {
        self.loop = loop
        self.version = Array(version.utf8CString)
        self.pipeline = pipeline
        self.state = state
        guard let http = evhttp_new(loop.base) else { fatalError("evhttp_new failed") }
        self.http = http
        // Every method reaches the router, which answers 405 with Allow instead of evhttp's bare 501.
        let allMethods: [evhttp_cmd_type] = [
            EVHTTP_REQ_GET, EVHTTP_REQ_POST, EVHTTP_REQ_HEAD, EVHTTP_REQ_PUT, EVHTTP_REQ_DELETE,
            EVHTTP_REQ_OPTIONS, EVHTTP_REQ_TRACE, EVHTTP_REQ_CONNECT, EVHTTP_REQ_PATCH,
        ]
        evhttp_set_allowed_methods(http, UInt16(allMethods.reduce(0) { $0 | $1.rawValue }))
        evhttp_set_max_headers_size(http, Int(limits.maxHeaderBytes))
        evhttp_set_max_body_size(http, Int(limits.libeventBodyCap))
        evhttp_set_timeout(http, Int32(limits.idleTimeoutSeconds))
        // Without this evhttp labels bodies without a type "text/html; charset=ISO-8859-1".
        evhttp_set_default_content_type(http, nil)
        evhttp_set_gencb(http, listenerRequestCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Binds a listening socket on this loop; returns the port it got. `reusePort` lets every loop bind
    /// the same port, and the kernel spreads new connections across them.
    func bind(address: SocketAddress, reusePort: Bool) throws(StartupError) -> Int {
        var flags = LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC
        if reusePort { flags |= LEV_OPT_REUSEABLE_PORT }
        var address = address
        let listener = withUnsafePointer(to: &address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                evconnlistener_new_bind(loop.base, nil, nil, UInt32(flags), 1024, $0, Int32(address.length))
            }
        }
        guard let listener else {
            throw StartupError("cannot listen: \(String(cString: strerror(errno)))")
        }
        boundSocket = evhttp_bind_listener(http, listener)
        return SocketAddress.boundPort(of: evconnlistener_get_fd(listener))
    }

    // MARK: Requests

    func accept(_ handle: OpaquePointer) {
        let start = MonotonicClock.nanoseconds()
        track(evhttp_request_get_connection(handle))
        let request = makeRequest(handle)
        inFlight += 1
        pipeline.metrics?.activeRequests.increment()
        let pending = PendingRequest(handle)
        Task(executorPreference: loop) {
            let response = await self.pipeline.respond(to: request, on: self.loop, startedAt: start)
            self.send(response, to: pending.handle, for: request)
        }
    }

    private func makeRequest(_ handle: OpaquePointer) -> Request {
        let uri = String(cString: evhttp_request_get_uri(handle))
        let path: String
        let query: String
        if let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(uri[..<mark])
            query = String(uri[uri.utf8.index(after: mark)...])
        } else {
            path = uri
            query = ""
        }
        var headers = HTTPFields()
        let input = evhttp_request_get_input_headers(handle)!
        var entry = skalar_headers_first(input)
        while let header = entry {
            if let name = HTTPField.Name(String(cString: header.pointee.key)) {
                headers.append(HTTPField(name: name, value: String(cString: header.pointee.value)))
            }
            entry = skalar_headers_next(header)
        }
        let buffer = evhttp_request_get_input_buffer(handle)
        let length = evbuffer_get_length(buffer)
        let body = length == 0 ? [] : [UInt8](unsafeUninitializedCapacity: length) { bytes, count in
            count = max(0, evbuffer_copyout(buffer, bytes.baseAddress, length))
        }
        let id = headers[.requestID].flatMap { HeaderValues.isAcceptableRequestID($0) ? $0 : nil } ?? loop.requestIDs.makeID()
        return Request(
            method: Self.method(of: handle), path: path, query: query, headers: headers, body: body, id: id)
    }

    private static func method(of handle: OpaquePointer) -> HTTPRequest.Method {
        switch evhttp_request_get_command(handle) {
        case EVHTTP_REQ_GET: return .get
        case EVHTTP_REQ_POST: return .post
        case EVHTTP_REQ_HEAD: return .head
        case EVHTTP_REQ_PUT: return .put
        case EVHTTP_REQ_DELETE: return .delete
        case EVHTTP_REQ_OPTIONS: return .options
        case EVHTTP_REQ_TRACE: return .trace
        case EVHTTP_REQ_CONNECT: return .connect
        default: return .patch
        }
    }

    private func send(_ response: Response, to handle: OpaquePointer, for request: Request) {
        precondition(loop.inEventLoop, "responses must be written on the loop that owns the connection")
        inFlight -= 1
        pipeline.metrics?.activeRequests.decrement()
        let headers = evhttp_request_get_output_headers(handle)
        for field in response.headers {
            evhttp_add_header(headers, field.name.rawName, field.value)
        }
        evhttp_add_header(headers, "X-App-Version", version)
        evhttp_add_header(headers, "X-Request-Id", request.id)
        if state.isShuttingDown || response.status == .contentTooLarge {
            evhttp_add_header(headers, "Connection", "close")
        }
        if request.method == .head {
            // evhttp would send a HEAD response's body; only its length may go out.
            evhttp_add_header(headers, "Content-Length", String(response.body.count))
        } else if !response.body.isEmpty {
            response.body.withUnsafeBytes { bytes in
                _ = evbuffer_add(evhttp_request_get_output_buffer(handle), bytes.baseAddress, bytes.count)
            }
        }
        evhttp_send_reply(handle, Int32(response.status.code), response.status.reasonPhrase, nil)
    }

    private func track(_ connection: OpaquePointer?) {
        guard let connection, connections.insert(connection).inserted else { return }
        evhttp_connection_set_closecb(connection, listenerConnectionClosed, Unmanaged.passUnretained(self).toOpaque())
    }

    func forget(_ connection: OpaquePointer) {
        connections.remove(connection)
    }

    // MARK: Shutdown

    /// Closes the listening socket; connections already open keep being served.
    func stopAccepting() {
        guard let boundSocket else { return }
        evhttp_del_accept_socket(http, boundSocket)
        self.boundSocket = nil
    }

    /// Once no handler runs and every response has left for the kernel, frees the server, which closes
    /// the remaining (idle keep-alive) connections. Returns whether that has happened.
    func finishIfIdle() -> Bool {
        if freed { return true }
        guard inFlight == 0 else { return false }
        for connection in connections {
            let output = bufferevent_get_output(evhttp_connection_get_bufferevent(connection))
            if evbuffer_get_length(output) > 0 { return false }
        }
        evhttp_free(http)
        connections.removeAll()
        freed = true
        return true
    }
}

/// An evhttp request handed to a task; it is only ever touched on its loop's thread.
private struct PendingRequest: @unchecked Sendable {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
}

private func listenerRequestCallback(_ request: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) {
    guard let request, let argument else { return }
    Unmanaged<LoopListener>.fromOpaque(argument).takeUnretainedValue().accept(request)
}

private func listenerConnectionClosed(_ connection: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) {
    guard let connection, let argument else { return }
    Unmanaged<LoopListener>.fromOpaque(argument).takeUnretainedValue().forget(connection)
}
