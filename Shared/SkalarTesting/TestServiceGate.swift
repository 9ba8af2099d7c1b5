/// Lets a test run while no other test's service is alive, for a census of the process's threads and
/// descriptors; every other test holds the gate shared while its service lives. Tests run in parallel, so
/// without it another test's loop could start or stop while the census counts.
actor TestServiceGate {
    enum Mode { case shared, exclusive }

    static let shared = TestServiceGate()

    /// Whether the current task already holds the gate: a test service made inside another test service
    /// (or inside the census) must not wait for itself.
    @TaskLocal private static var isHeld = false

    private var sharedHolders = 0
    private var exclusiveHeld = false
    private var exclusiveWanted = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` holding the gate in `mode`; released when `body` returns or throws.
    nonisolated func holding<Result>(_ mode: Mode, _ body: () async throws -> Result) async rethrows -> Result {
        if Self.isHeld { return try await body() }
        await enter(mode)
        do {
            let result = try await Self.$isHeld.withValue(true) { try await body() }
            await leave(mode)
            return result
        } catch {
            await leave(mode)
            throw error
        }
    }

    private func enter(_ mode: Mode) async {
        switch mode {
        case .shared:
            // A waiting census goes first, so that a steady stream of tests cannot starve it.
            while exclusiveHeld || exclusiveWanted { await wait() }
            sharedHolders += 1
        case .exclusive:
            while exclusiveHeld || exclusiveWanted { await wait() }
            exclusiveWanted = true
            while sharedHolders > 0 { await wait() }
            exclusiveWanted = false
            exclusiveHeld = true
        }
    }

    private func leave(_ mode: Mode) {
        switch mode {
        case .shared: sharedHolders -= 1
        case .exclusive: exclusiveHeld = false
        }
        let woken = waiting
        waiting.removeAll()
        for continuation in woken { continuation.resume() }
    }

    private func wait() async {
        await withCheckedContinuation { waiting.append($0) }
    }
}

/// Runs `body`, which opens descriptors or threads of its own outside a test service (an exit test's
/// pipes to its child), while no `withNoOtherTestService` census runs.
public func withDescriptorsOfItsOwn<Result>(_ body: () async throws -> Result) async rethrows -> Result {
    try await TestServiceGate.shared.holding(.shared, body)
}

/// Runs `body` while no other test's service is alive (test services made inside `body` excepted), so
/// that a count of the process's threads and descriptors sees only what `body` does.
public func withNoOtherTestService<Result>(_ body: () async throws -> Result) async rethrows -> Result {
    try await TestServiceGate.shared.holding(.exclusive, body)
}
