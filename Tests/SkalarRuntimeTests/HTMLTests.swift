import SkalarRuntime
import Testing

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
}
