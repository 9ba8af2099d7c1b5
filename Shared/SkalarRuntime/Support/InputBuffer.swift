/// Bytes received on a connection and not yet consumed, kept contiguous so that a request head parses
/// where it lies. It grows only up to the limit its owner gives, so a connection's memory is bounded.
struct InputBuffer: ~Copyable {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var start = 0
    private var end = 0
    /// The smallest free space worth a `recv`.
    private static let minimumRead = 4096

    init() {}

    deinit {
        storage.deallocate()
    }

    var count: Int { end - start }
    var isEmpty: Bool { start == end }

    /// Receives once from `socket` into free space, compacting or growing the buffer up to `limit` bytes.
    /// Returns nil, reading nothing, when `limit` bytes are already waiting.
    mutating func receive(from socket: StreamSocket, limit: Int) -> StreamSocket.ReadResult? {
        if start == end { (start, end) = (0, 0) }
        if storage.count - end < Self.minimumRead, start > 0 {
            storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: end - start)
            (start, end) = (0, end - start)
        }
        if storage.count - end < Self.minimumRead, storage.count < limit {
            let grown = UnsafeMutableRawBufferPointer.allocate(
                byteCount: min(limit, max(Self.minimumRead, storage.count * 2)), alignment: 1)
            if end > 0 { grown.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: end) }
            storage.deallocate()
            storage = grown
        }
        guard end < storage.count else { return nil }
        let result = socket.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
        if case let .read(count) = result { end += count }
        return result
    }

    /// The waiting bytes; valid until the buffer next changes.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[start..<end])
    }

    mutating func consume(_ count: Int) {
        precondition(count <= self.count, "consumed more than was received")
        start += count
    }

    mutating func removeAll() {
        (start, end) = (0, 0)
    }
}
