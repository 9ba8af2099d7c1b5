import Glibc
import Synchronization

/// Runs async work from the main thread and waits for it; used before the load starts.
enum Blocking {
    static func wait<Result: Sendable>(_ work: @escaping @Sendable () async -> Result) -> Result {
        let box = ResultBox<Result>()
        Task { box.set(await work()) }
        while true {
            if let value = box.get() { return value }
            usleep(10_000)
        }
    }
}

private final class ResultBox<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    func set(_ new: Value) { value.withLock { $0 = new } }
    func get() -> Value? { value.withLock { $0 } }
}
