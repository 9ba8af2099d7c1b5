/// Makes request ids: random version-4 UUIDs, the format Envoy and Istio generate for `x-request-id`.
///
/// One generator lives on each event loop, seeded from the system's random source, so making an id
/// costs no system call and no lock.
final class RequestIDGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next() | 1)
    }

    /// xoshiro256** (Blackman and Vigna): fast, and plenty for ids that need to be unique, not secret.
    func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    /// A uniformly distributed number in 0..<1, for fault sampling.
    func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    func makeID() -> String {
        let high = (next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { bytes in
            let out = bytes.baseAddress!
            // 8-4-4-4-12 hex digits: the dashes sit at fixed places, so no digit asks where it is.
            func writeHex(_ word: UInt64, digits: Int, at offset: Int) {
                var word = word
                for position in stride(from: offset + digits - 1, through: offset, by: -1) {
                    let nibble = UInt8(truncatingIfNeeded: word) & 0xF
                    out[position] = nibble &+ (nibble < 10 ? 48 : 87)
                    word >>= 4
                }
            }
            writeHex(high >> 32, digits: 8, at: 0)
            out[8] = UInt8(ascii: "-")
            writeHex(high >> 16, digits: 4, at: 9)
            out[13] = UInt8(ascii: "-")
            writeHex(high, digits: 4, at: 14)
            out[18] = UInt8(ascii: "-")
            writeHex(low >> 48, digits: 4, at: 19)
            out[23] = UInt8(ascii: "-")
            writeHex(low, digits: 12, at: 24)
            return 36
        }
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

}
