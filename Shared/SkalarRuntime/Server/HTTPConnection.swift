import HTTPTypes

/// One accepted connection of a `LoopListener`. It reads one request at a time by that request's own
/// framing, hands it to the listener, writes the response, and then serves the next request or closes.
///
/// Every phase has a time bound: between requests `idleTimeout`, for the whole head `headerTimeout`, for
/// the whole body `bodyTimeout`, for a write the peer does not take `idleTimeout`, and for the lingering
/// close `lingerTimeout`. Within a head or body, `idleTimeout` of silence also closes (quietly, as
/// between requests); running out of the phase's own bound is answered 408. A handler's own time is not
/// bounded here.
///
/// Loop-local; it is Sendable only so that the task answering its request on the same loop can hold it.
final class HTTPConnection: @unchecked Sendable {
    enum Phase {
        /// Between requests, nothing of the next one received.
        case idle
        case head
        case body
        /// A handler is answering.
        case handling
        /// The response is written only in part; the rest waits for the socket.
        case writing
        /// After the last response: FIN sent, and whatever the peer still sends is read and dropped, so
        /// that the close does not turn into a reset that destroys the response before the peer reads it.
        case lingering
        case closed
    }

    /// How long a closing connection keeps reading and dropping what the peer still sends.
    static let lingerTimeout = Duration.seconds(2)

    private(set) var phase = Phase.idle
    private let socket: StreamSocket
    private unowned let listener: LoopListener
    private let limits: ServerLimits
    private let parser: RequestHeadParser
    private var readable: LoopEvent!
    private var writable: LoopEvent!
    private var timer: LoopEvent!
    private var input = InputBuffer()
    private var head: RequestHead?
    private var body: [UInt8] = []
    private var chunked: ChunkedBodyDecoder?
    /// The bytes of responses the kernel has not taken yet.
    private var unsent: [UInt8] = []
    private var closeAfterResponse = false
    private var peerFinished = false
    private var reading = true
    private var processing = false
    /// Whether the current phase's own bound has started, and when it ends (`MonotonicClock` nanoseconds).
    private var phaseTimerArmed = false
    private var phaseDeadline: UInt64 = 0
    /// Where the search for the end of the head resumes, so that a trickled head is scanned once.
    private var scannedHeadBytes = 0

    init(descriptor: Int32, listener: LoopListener, base: EventBase, limits: ServerLimits) {
        socket = StreamSocket(descriptor: descriptor)
        self.listener = listener
        self.limits = limits
        parser = RequestHeadParser(maxBodyBytes: limits.maxBodyBytes, maxFieldCount: ServerLimits.maxHeaderFields)
        socket.disableNagle()
        readable = .readable(descriptor, on: base) { [unowned self] in withExtendedLifetime(self) { self.receive() } }
        writable = .writable(descriptor, on: base) { [unowned self] in withExtendedLifetime(self) { self.flush() } }
        timer = .timer(on: base) { [unowned self] in withExtendedLifetime(self) { self.timedOut() } }
        readable.watch()
        timer.schedule(after: limits.idleTimeout)
    }

    /// The longest a connection buffers: a whole head, plus a read's worth of what follows it.
    private var inputLimit: Int { limits.maxHeaderBytes + 4096 }

    // MARK: Reading

    private func receive() {
        switch input.receive(from: socket, limit: inputLimit) {
        case .read?:
            break
        case .wouldBlock?:
            return
        case .endOfStream?:
            peerFinished = true
            stopReading()
        case .failed?:
            return close()
        case nil:
            // Pipelined requests fill the buffer while a handler runs: read again once it is done.
            return stopReading()
        }
        if phase == .lingering {
            input.removeAll()
            if peerFinished { close() }
            return
        }
        process()
    }

    /// Reads and serves every complete request waiting in the buffer, one at a time.
    private func process() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while phase == .idle || phase == .head || phase == .body {
            if phase != .body, !readHead() { break }
            guard phase == .body, readBody() else { break }
            phase = .handling
            let request = head!
            let requestBody = body
            head = nil
            body = []
            chunked = nil
            listener.serve(request, body: requestBody, on: self)
        }
        if peerFinished, phase == .idle || phase == .head || phase == .body {
            // Nothing more can arrive: an unfinished request never will be.
            close()
        }
    }

    /// Parses the head once it is complete; returns whether it is (and the body phase began).
    private func readHead() -> Bool {
        if phase == .idle {
            // RFC 9112 §2.2: empty lines before a request line are ignored.
            while input.count >= 2, input.bytes[0] == HTTPSyntax.cr, input.bytes[1] == HTTPSyntax.lf {
                input.consume(2)
            }
            guard !input.isEmpty else { return false }
            phase = .head
            phaseTimerArmed = false
            scannedHeadBytes = 0
        }
        guard let headLength = Self.headLength(in: input.bytes, from: scannedHeadBytes) else {
            scannedHeadBytes = max(0, input.count - 3)
            if input.count > limits.maxHeaderBytes {
                reject(Self.headTooLarge(limits.maxHeaderBytes))
            } else {
                armPhaseTimer(limits.headerTimeout)
            }
            return false
        }
        guard headLength <= limits.maxHeaderBytes else {
            reject(Self.headTooLarge(limits.maxHeaderBytes))
            return false
        }
        let parsed: RequestHead
        do {
            parsed = try parser.parse(UnsafeRawBufferPointer(rebasing: input.bytes[..<(headLength - 4)]))
        } catch {
            reject(error)
            return false
        }
        input.consume(headLength)
        switch parsed.framing {
        case .none: break
        case let .length(length): body.reserveCapacity(length)
        case .chunked:
            chunked = ChunkedBodyDecoder(maxBodyBytes: limits.maxBodyBytes, maxTrailerBytes: limits.maxHeaderBytes)
        }
        if parsed.expectsContinue, parsed.framing != .none, input.isEmpty, parsed.minorVersion >= 1 {
            guard write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), []) else { return false }
        }
        head = parsed
        phase = .body
        phaseTimerArmed = false
        return true
    }

    /// Reads what has arrived of the body; returns whether it is complete.
    private func readBody() -> Bool {
        switch head!.framing {
        case .none:
            return true
        case let .length(length):
            let taken = min(length - body.count, input.count)
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input.bytes[..<taken]))
            input.consume(taken)
            if body.count == length { return true }
        case .chunked:
            do {
                input.consume(try chunked!.decode(input.bytes, into: &body))
            } catch {
                reject(error)
                return false
            }
            if chunked!.isFinished { return true }
        }
        armPhaseTimer(limits.bodyTimeout)
        return false
    }

    /// Bounds the head or body phase by `bound` from its first incomplete read, and by `idleTimeout` of
    /// silence, whichever ends first.
    private func armPhaseTimer(_ bound: Duration) {
        let now = MonotonicClock.nanoseconds()
        if !phaseTimerArmed {
            phaseTimerArmed = true
            phaseDeadline = now + UInt64(bound.wholeMilliseconds) * 1_000_000
        }
        let remaining = Duration.nanoseconds(Int64(phaseDeadline > now ? phaseDeadline - now : 0))
        timer.schedule(after: min(limits.idleTimeout, remaining))
    }

    private func stopReading() {
        guard reading else { return }
        reading = false
        readable.cancel()
    }

    private func resumeReading() {
        guard !reading, !peerFinished else { return }
        reading = true
        readable.watch()
    }

    /// The length of the head including the empty line that ends it, once that has arrived.
    private static func headLength(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = start
        while index + 3 < bytes.count {
            if bytes[index + 3] == HTTPSyntax.lf, bytes[index + 2] == HTTPSyntax.cr, bytes[index + 1] == HTTPSyntax.lf,
                bytes[index] == HTTPSyntax.cr
            {
                return index + 4
            }
            index += 1
        }
        return nil
    }

    private static func headTooLarge(_ limit: Int) -> HTTPError {
        HTTPError(
            HTTPResponse.Status(code: 431), code: "header_too_large",
            message: "the request line and header fields exceed \(limit) bytes")
    }

    // MARK: Writing

    /// Sends a response whose head and body the listener made. With `close`, the connection lingers and
    /// closes after it; otherwise it serves the next request.
    func respond(head: [UInt8], body: [UInt8], close: Bool) {
        guard phase == .handling else { return }  // closed while the handler ran
        closeAfterResponse = close
        guard write(head, body) else { return }
        if unsent.isEmpty {
            responseWritten()
        } else {
            phase = .writing
            timer.schedule(after: limits.idleTimeout)
        }
    }

    /// Answers an error found while reading a request, and closes: the stream cannot be framed further.
    private func reject(_ error: HTTPError) {
        phase = .handling
        stopReading()
        listener.reject(error, on: self)
    }

    /// Writes what the kernel takes now and queues the rest; returns false when the connection failed
    /// and is closed.
    private func write(_ first: [UInt8], _ second: [UInt8]) -> Bool {
        guard unsent.isEmpty else {
            unsent += first
            unsent += second
            return true
        }
        let written = first.withUnsafeBytes { first in
            second.withUnsafeBytes { second in socket.write(first, second) }
        }
        switch written {
        case let .success(count) where count == first.count + second.count:
            return true
        case let .success(count):
            unsent = Array((first + second)[count...])
            writable.watch()
            return true
        case .failure:
            close()
            return false
        }
    }

    private func flush() {
        let written = unsent.withUnsafeBytes { socket.write($0, UnsafeRawBufferPointer(start: nil, count: 0)) }
        switch written {
        case let .success(count) where count == unsent.count:
            unsent = []
            writable.cancel()
            if phase == .writing { responseWritten() }
        case let .success(count):
            unsent.removeFirst(count)
            if phase == .writing { timer.schedule(after: limits.idleTimeout) }
        case .failure:
            close()
        }
    }

    private func responseWritten() {
        if closeAfterResponse {
            return linger()
        }
        phase = .idle
        timer.schedule(after: limits.idleTimeout)
        resumeReading()
        process()
    }

    private func linger() {
        socket.shutdownWriting()
        phase = .lingering
        input.removeAll()
        if peerFinished { return close() }
        resumeReading()
        timer.schedule(after: Self.lingerTimeout)
    }

    // MARK: Timeouts and closing

    private func timedOut() {
        switch phase {
        case .idle, .writing, .lingering:
            close()
        case .head, .body:
            // Silence closes as it does between requests; only the phase's own bound is answered.
            guard MonotonicClock.nanoseconds() + 1_000_000 >= phaseDeadline else { return close() }
            reject(
                HTTPError(
                    .requestTimeout, code: "request_timeout",
                    message: phase == .head
                        ? "the request head did not arrive within \(limits.headerTimeout.components.seconds) s"
                        : "the request body did not arrive within \(limits.bodyTimeout.components.seconds) s"))
        case .handling, .closed:
            break  // the handler's own time; the timer is set again once it answers
        }
    }

    /// Whether the connection can be closed without losing a response: no handler runs and every
    /// response has left for the kernel.
    var isQuiet: Bool {
        phase != .handling && phase != .writing
    }

    deinit {
        if phase != .closed { socket.close() }
    }

    func close() {
        guard phase != .closed else { return }
        phase = .closed
        readable.cancel()
        writable.cancel()
        timer.cancel()
        socket.close()
        listener.connectionClosed(self)
    }
}
