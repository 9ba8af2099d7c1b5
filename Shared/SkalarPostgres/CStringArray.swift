/// Runs `body` with `texts` as an array of C strings (nil stays a null pointer), all in one buffer, as
/// libpq's `const char *const *` arguments take them: parameter values, connection keywords. With
/// `terminated`, a null pointer follows the last one. The pointers are valid only inside `body`.
func withCStringArray<Result>(
    _ texts: [String?], terminated: Bool = false, _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result
) -> Result {
    var bytes: [CChar] = []
    var offsets: [Int?] = []
    offsets.reserveCapacity(texts.count)
    for text in texts {
        guard let text else {
            offsets.append(nil)
            continue
        }
        offsets.append(bytes.count)
        for byte in text.utf8 { bytes.append(CChar(bitPattern: byte)) }
        bytes.append(0)
    }
    if terminated { offsets.append(nil) }
    if offsets.isEmpty { return body(nil) }
    return bytes.withUnsafeBufferPointer { buffer in
        let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in offset.map { buffer.baseAddress! + $0 } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
