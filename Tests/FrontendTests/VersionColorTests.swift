import SkalarRuntime
import Testing

@testable import Frontend

@Suite struct VersionColorTests {
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
