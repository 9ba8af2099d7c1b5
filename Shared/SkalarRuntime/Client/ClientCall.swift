import CLibEvent
import Glibc
import HTTPTypes

/// One request on one evhttp connection, bridged to a continuation that is resumed exactly once.
///
/// evhttp reports the end of a call in several ways: the response callback with a response, the same
/// callback with NULL after an error callback, an error callback alone when the request is cancelled,
/// or a failed `evhttp_make_request` that may or may not have called back already. The call also owns a
/// timer for its deadline. Whichever comes first finishes the call; the rest find it finished.
final class ClientCall {
    private var continuation: CheckedContinuation<ClientResponse, any Error>?
    private var request: OpaquePointer?
    private var timer: OpaquePointer?
    private var lastError: evhttp_request_error?
    /// Set once the response callback ran or the request was cancelled: evhttp no longer calls back.
    private var releasedByLibevent = false

    init(_ continuation: CheckedContinuation<ClientResponse, any Error>) {
        self.continuation = continuation
    }

    /// Sends the request on `connection`; the continuation gets the outcome.
    func start(
        on loop: EventLoop, connection: OpaquePointer, method: evhttp_cmd_type, target: String,
        headers: HTTPFields, body: [UInt8], timeoutMilliseconds: Int
    ) {
        let context = Unmanaged.passRetained(self).toOpaque()
        guard let request = evhttp_request_new(clientResponseCallback, context) else {
            Unmanaged<ClientCall>.fromOpaque(context).release()
            finish(.failure(HTTPClientError.connectFailed))
            return
        }
        self.request = request
        evhttp_request_set_error_cb(request, clientErrorCallback)
        let output = evhttp_request_get_output_headers(request)
        for field in headers { evhttp_add_header(output, field.name.rawName, field.value) }
        if !body.isEmpty {
            body.withUnsafeBytes { bytes in
                _ = evbuffer_add(evhttp_request_get_output_buffer(request), bytes.baseAddress, bytes.count)
            }
        }
        timer = event_new(loop.base, -1, 0, clientTimeoutCallback, context)
        // libevent measures timeouts from the loop's cached time, which may trail the real time.
        event_base_update_cache_time(loop.base)
        var deadline = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        event_add(timer, &deadline)
        if evhttp_make_request(connection, request, method, target) != 0, !releasedByLibevent {
            // evhttp did not take the request and will not call back.
            releasedByLibevent = true
            self.request = nil
            finish(.failure(HTTPClientError.connectFailed))
            Unmanaged<ClientCall>.fromOpaque(context).release()
        }
    }

    func recordError(_ error: evhttp_request_error) {
        lastError = error
    }

    func responseArrived(_ response: OpaquePointer?) {
        releasedByLibevent = true
        request = nil
        guard let response, evhttp_request_get_response_code(response) != 0 else {
            // A failed connect calls back with the request and no error callback; every other failure
            // reports its kind through the error callback first.
            finish(.failure(lastError.map(Self.clientError) ?? .connectFailed))
            return
        }
        // evhttp frees the response when this callback returns, so everything is copied now.
        var headers = HTTPFields()
        var entry = skalar_headers_first(evhttp_request_get_input_headers(response))
        while let header = entry {
            if let name = HTTPField.Name(String(cString: header.pointee.key)) {
                headers.append(HTTPField(name: name, value: String(cString: header.pointee.value)))
            }
            entry = skalar_headers_next(header)
        }
        let buffer = evhttp_request_get_input_buffer(response)
        let length = evbuffer_get_length(buffer)
        let body = [UInt8](unsafeUninitializedCapacity: length) { bytes, count in
            count = length == 0 ? 0 : max(0, evbuffer_copyout(buffer, bytes.baseAddress, length))
        }
        finish(.success(ClientResponse(status: Int(evhttp_request_get_response_code(response)), headers: headers, body: body)))
    }

    func deadlinePassed() {
        if let request, !releasedByLibevent {
            releasedByLibevent = true
            self.request = nil
            // Frees the request and resets its connection; evhttp will not call back for it again.
            evhttp_cancel_request(request)
            Unmanaged.passUnretained(self).release()
        }
        finish(.failure(HTTPClientError.timeout))
    }

    private func finish(_ result: Result<ClientResponse, any Error>) {
        if let timer {
            event_free(timer)
            self.timer = nil
        }
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(with: result)
    }

    /// The client error for an evhttp error callback's kind.
    static func clientError(for error: evhttp_request_error) -> HTTPClientError {
        switch error {
        case EVREQ_HTTP_TIMEOUT: return .timeout
        case EVREQ_HTTP_INVALID_HEADER, EVREQ_HTTP_DATA_TOO_LONG: return .invalidResponse
        default: return .connectionClosed
        }
    }
}

private func clientResponseCallback(_ response: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) {
    let call = Unmanaged<ClientCall>.fromOpaque(argument!).takeRetainedValue()
    call.responseArrived(response)
}

private func clientErrorCallback(_ error: evhttp_request_error, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<ClientCall>.fromOpaque(argument!).takeUnretainedValue().recordError(error)
}

private func clientTimeoutCallback(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    let call = Unmanaged<ClientCall>.fromOpaque(argument!).takeUnretainedValue()
    call.deadlinePassed()
}
