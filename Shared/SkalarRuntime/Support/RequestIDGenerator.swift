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
            var index = 0
            func writeHex(_ word: UInt64) {
                for shift in stride(from: 60, through: 0, by: -4) {
                    if index == 8 || index == 13 || index == 18 || index == 23 {
                        bytes[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    let nibble = UInt8(truncatingIfNeeded: word >> UInt64(shift)) & 0xF
                    bytes[index] = nibble < 10 ? nibble + 48 : nibble + 87
                    index += 1
                }
            }
            writeHex(high)
            writeHex(low)
            return index
        }
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

}
