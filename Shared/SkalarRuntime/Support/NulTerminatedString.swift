extension String {
    /// The UTF-8 text in a fixed-size C buffer, such as one `gethostname` or `fgets` filled, up to its first
    /// NUL or its end. Unlike `String(cString:)` it never reads past the buffer when the NUL is missing.
    package init(nulTerminated buffer: some Collection<CChar>) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
