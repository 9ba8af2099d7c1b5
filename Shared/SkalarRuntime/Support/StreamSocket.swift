import Glibc

/// A connected, non-blocking stream socket that this value's owner closes exactly once.
struct StreamSocket {
    let descriptor: Int32

    enum ReadResult {
        case read(Int)
        /// Nothing to read right now.
        case wouldBlock
        /// The peer sent FIN: nothing more will arrive.
        case endOfStream
        case failed(SystemError)
    }

    /// Disables Nagle's algorithm: a response goes out in one write, and pipelined responses must not
    /// wait for the peer's delayed ACK.
    func disableNagle() {
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
        if count > 0 { return .read(count) }
        if count == 0 { return .endOfStream }
        switch errno {
        case EAGAIN, EWOULDBLOCK, EINTR: return .wouldBlock
        case let code: return .failed(SystemError(code: code))
        }
    }

    /// Writes as much of `first` then `second` as the kernel takes now; returns how many bytes it took,
    /// 0 when it would block, or the error. Never raises SIGPIPE.
    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Result<Int, SystemError> {
        var vectors = [
            iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count),
        ]
        return vectors.withUnsafeMutableBufferPointer { vectors in
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = second.isEmpty ? 1 : 2
            let count = sendmsg(descriptor, &message, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .success(count) }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .success(0) }
            return .failure(SystemError(code: errno))
        }
    }

    /// Sends FIN after what was written; reading stays possible, so that the peer's unread request
    /// bytes can be drained instead of turning the close into a reset that destroys the response.
    func shutdownWriting() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
