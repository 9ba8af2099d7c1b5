import CLibEvent
import HTTPTypes

/// One request on one evhttp connection, bridged to a continuation that is resumed exactly once.
///
/// evhttp reports the end of a call in several ways: the response callback with a response, the same
/// callback with NULL after an error callback, an error callback alone when the request is cancelled,
/// or a failed `evhttp_make_request` that may or may not have called back already. The call also owns a
/// timer for its deadline. Whichever comes first finishes the call; the rest find it finished.
final class ClientExchange {
    private typealias Outcome = Result<ClientResponse, HTTPClientError>

    private var continuation: CheckedContinuation<Outcome, Never>?
    private var request: OpaquePointer?
    private var timer: LoopEvent?
    private var lastError: evhttp_request_error?
    /// Set once the response callback ran or the request was cancelled: evhttp no longer calls back.
    private var releasedByLibevent = false

    private init(_ continuation: CheckedContinuation<Outcome, Never>) {
        self.continuation = continuation
    }

    /// Sends a request on `connection` and returns its complete response, or why there is none within
    /// `deadline`. Call on the loop that owns `base` and `connection`.
    static func send(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields, body: [UInt8],
        on connection: EvHTTPConnection, base: EventBase, deadline: Duration
    ) async -> Result<ClientResponse, HTTPClientError> {
        await withCheckedContinuation { continuation in
            ClientExchange(continuation).start(
                method, target, headers: headers, body: body, on: connection, base: base, deadline: deadline)
        }
    }

    private func start(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields, body: [UInt8],
        on connection: EvHTTPConnection, base: EventBase, deadline: Duration
    ) {
        let context = Unmanaged.passRetained(self).toOpaque()
        guard let request = evhttp_request_new(clientResponseArrived, context) else {
            Unmanaged<ClientExchange>.fromOpaque(context).release()
            finish(.failure(.connectFailed))
            return
        }
        self.request = request
        evhttp_request_set_error_cb(request, clientErrorReported)
        HeaderList(pointer: evhttp_request_get_output_headers(request)).add(headers)
        EventBuffer(pointer: evhttp_request_get_output_buffer(request)).append(body)
        let timer = LoopEvent.timer(on: base) { [unowned self] in self.deadlinePassed() }
        self.timer = timer
        timer.schedule(after: deadline)
        if evhttp_make_request(connection.pointer, request, method.evhttpCommand, target) != 0, !releasedByLibevent {
            // evhttp did not take the request and will not call back.
            releasedByLibevent = true
            self.request = nil
            finish(.failure(.connectFailed))
            Unmanaged<ClientExchange>.fromOpaque(context).release()
        }
    }

    fileprivate func recordError(_ error: evhttp_request_error) {
        lastError = error
    }

    fileprivate func responseArrived(_ response: OpaquePointer?) {
        releasedByLibevent = true
        request = nil
        guard let response, evhttp_request_get_response_code(response) != 0 else {
            // A failed connect calls back with the request and no error callback; every other failure
            // reports its kind through the error callback first.
            finish(.failure(lastError.map(Self.clientError) ?? .connectFailed))
            return
        }
        let status = Int(evhttp_request_get_response_code(response))
        guard Self.finalStatuses.contains(status) else {
            finish(.failure(.invalidResponse))
            return
        }
        // evhttp frees the response when this callback returns, so everything is copied now.
        finish(
            .success(
                ClientResponse(
                    status: status,
                    headers: HeaderList(pointer: evhttp_request_get_input_headers(response)).fields(),
                    body: EventBuffer(pointer: evhttp_request_get_input_buffer(response)).bytes())))
    }

    private func deadlinePassed() {
        if let request, !releasedByLibevent {
            releasedByLibevent = true
            self.request = nil
            // Frees the request and resets its connection; evhttp will not call back for it again.
            evhttp_cancel_request(request)
            Unmanaged.passUnretained(self).release()
        }
        finish(.failure(.timeout))
    }

    private func finish(_ outcome: Outcome) {
        timer = nil
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(returning: outcome)
    }

    /// The statuses that can end a call. evhttp 2.1 takes any nonzero number from the status line (999,
    /// 1000, -1), waits past a `100 Continue` itself, and hands over every other 1xx as if it were the
    /// final answer, leaving what follows it (the real answer, or a body) unread on the connection. The
    /// client never asks for an upgrade, so a 101 is no answer either. Any of those fails the call as an
    /// invalid response, and the client closes the connection instead of reading the next call's answer
    /// from it.
    static let finalStatuses = 200...599

    /// The client error for an evhttp error callback's kind.
    private static func clientError(for error: evhttp_request_error) -> HTTPClientError {
        switch error {
        case EVREQ_HTTP_TIMEOUT: return .timeout
        case EVREQ_HTTP_INVALID_HEADER, EVREQ_HTTP_DATA_TOO_LONG: return .invalidResponse
        default: return .connectionClosed
        }
    }
}

private func clientResponseArrived(_ response: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<ClientExchange>.fromOpaque(argument!).takeRetainedValue().responseArrived(response)
}

private func clientErrorReported(_ error: evhttp_request_error, _ argument: UnsafeMutableRawPointer?) {
    Unmanaged<ClientExchange>.fromOpaque(argument!).takeUnretainedValue().recordError(error)
}
