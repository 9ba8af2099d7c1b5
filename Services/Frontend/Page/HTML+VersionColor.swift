import SkalarRuntime

extension HTML {
    /// One of the stylesheet's eight version colours, the same for the same version everywhere, so
    /// reloading through a canary split shows which version answered at a glance.
    static func colorClass(for version: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in version.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return "tone-\(hash % 8)"
    }
}
