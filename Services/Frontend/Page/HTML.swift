/// Escaping for text and attribute values in HTML. Every value that reaches the page goes through here.
enum HTML {
    /// `text` safe inside element content and inside quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// One of the stylesheet's eight version colours, the same for the same version everywhere, so
    /// reloading through a canary split shows which version answered at a glance.
    static func colorClass(for version: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in version.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return "tone-\(hash % 8)"
    }
}
