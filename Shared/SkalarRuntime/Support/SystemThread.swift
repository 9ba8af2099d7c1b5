import Glibc

/// A POSIX thread that runs one Swift closure: the event loops and the backend's database writer each
/// own one, outside Swift's cooperative pool, because they block in `epoll_wait` or on a semaphore.
public struct SystemThread: Sendable {
    private let handle: pthread_t

    /// Starts `body` on a new thread, or says why the system refused one.
    public static func start(_ body: @escaping @Sendable () -> Void) -> Result<SystemThread, SystemError> {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var handle = pthread_t()
        // pthread_create returns its error instead of setting errno.
        let status = pthread_create(&handle, nil, systemThreadMain, box)
        guard status == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            return .failure(SystemError(code: status))
        }
        return .success(SystemThread(handle: handle))
    }

    /// Waits for the thread to finish.
    public func join() {
        pthread_join(handle, nil)
    }

    /// Lets the thread's resources go when it finishes, for a thread nobody joins.
    public func detach() {
        pthread_detach(handle)
    }
}

private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

private func systemThreadMain(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue().run()
    return nil
}
