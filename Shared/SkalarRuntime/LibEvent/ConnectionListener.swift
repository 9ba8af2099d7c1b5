import CLibEvent
import Glibc

/// A listening socket on one event base: hands each accepted connection's descriptor (non-blocking,
/// close-on-exec) to `onAccept`, and each failed `accept` that is not a transient one to `onError`.
final class ConnectionListener {
    private let listener: OpaquePointer
    private let onAccept: (Int32) -> Void
    private let onError: (SystemError) -> Void
    /// The port the socket is bound to.
    let port: Int

    private init(
        listener: OpaquePointer, onAccept: @escaping (Int32) -> Void, onError: @escaping (SystemError) -> Void
    ) {
        self.listener = listener
        self.onAccept = onAccept
        self.onError = onError
        port = SocketAddress.boundPort(of: evconnlistener_get_fd(listener))
    }

    /// Binds and listens. `reusePort` lets several listeners (one per loop) bind the same port, and the
    /// kernel spreads new connections across them.
    static func bind(
        _ address: SocketAddress, on base: EventBase, reusePort: Bool,
        onAccept: @escaping (Int32) -> Void, onError: @escaping (SystemError) -> Void
    ) -> Result<ConnectionListener, SystemError> {
        var flags = LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED
        if reusePort { flags |= LEV_OPT_REUSEABLE_PORT }
        var storage = address.storage
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                evconnlistener_new_bind(base.pointer, nil, nil, UInt32(flags), 1024, $0, Int32(address.length))
            }
        }
        guard let bound else { return .failure(SystemError(code: errno)) }
        let listener = ConnectionListener(listener: bound, onAccept: onAccept, onError: onError)
        let context = Unmanaged.passUnretained(listener).toOpaque()
        evconnlistener_set_cb(bound, connectionAccepted, context)
        evconnlistener_set_error_cb(bound, acceptFailed)
        evconnlistener_enable(bound)
        return .success(listener)
    }

    /// Stops watching the socket; connections keep queueing in the kernel's backlog until `resume()`.
    func pause() {
        evconnlistener_disable(listener)
    }

    func resume() {
        evconnlistener_enable(listener)
    }

    deinit {
        evconnlistener_free(listener)
    }

    fileprivate func accepted(_ descriptor: Int32) {
        onAccept(descriptor)
    }

    fileprivate func failed(_ code: Int32) {
        onError(SystemError(code: code))
    }
}

private func connectionAccepted(
    _ listener: OpaquePointer?, _ descriptor: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: Int32,
    _ context: UnsafeMutableRawPointer?
) {
    Unmanaged<ConnectionListener>.fromOpaque(context!).takeUnretainedValue().accepted(descriptor)
}

private func acceptFailed(_ listener: OpaquePointer?, _ context: UnsafeMutableRawPointer?) {
    let code = errno
    Unmanaged<ConnectionListener>.fromOpaque(context!).takeUnretainedValue().failed(code)
}
