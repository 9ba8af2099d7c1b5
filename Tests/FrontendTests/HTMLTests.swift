import Testing

@testable import Frontend

@Suite struct HTMLTests {
    @Test func escapesTheFiveSpecialCharacters() {
        #expect(HTML.escape(#"a&b<c>d"e'f"#) == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
        #expect(HTML.escape("<<>>") == "&lt;&lt;&gt;&gt;")
        #expect(HTML.escape("&amp;") == "&amp;amp;", "escaping is not idempotent: text is never taken for markup")
        #expect(HTML.escape("é<ü>🎉") == "é&lt;ü&gt;🎉")
    }

    @Test func leavesOtherTextAsItIs() {
        for text in ["", "plain", "é 🎉 日本語", "a/b=c;d:e", "\n\t"] {
            #expect(HTML.escape(text) == text)
        }
    }

    @Test func versionColoursAreStableAndStyled() {
        let versions = ["1.0.0", "1.1.0", "2.0.0", "canary", "v1", "v2", ""]
        // Pinned values: Swift's own hashing is seeded per process, so these show the colour is the same
        // in every process and replica, as a canary split needs.
        let classes = versions.map(HTML.colorClass(for:))
        #expect(classes == ["tone-4", "tone-3", "tone-5", "tone-1", "tone-0", "tone-1", "tone-5"])
        for tone in 0..<8 {
            #expect(Stylesheet.css.contains(".tone-\(tone) { --tone:"), "the stylesheet styles tone-\(tone)")
        }
    }
}
