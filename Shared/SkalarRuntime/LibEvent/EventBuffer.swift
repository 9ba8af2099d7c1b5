import CLibEvent

/// A libevent `evbuffer` owned by libevent (a request's or a response's body); valid while its owner is.
struct EventBuffer {
    let pointer: OpaquePointer

    var count: Int { evbuffer_get_length(pointer) }

    /// A copy of the buffer's bytes; the buffer keeps them.
    func bytes() -> [UInt8] {
        let length = count
        guard length > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: length) { bytes, copied in
            copied = max(0, evbuffer_copyout(pointer, bytes.baseAddress, length))
        }
    }

    func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { _ = evbuffer_add(pointer, $0.baseAddress, $0.count) }
    }
}
