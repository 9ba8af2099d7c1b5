import Testing

@testable import Frontend

@Suite struct GuestbookPageTests {
    private static let hostile = #"<script>alert('x')</script> & "q""#
    private static let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"

    private func page(
        backend: BackendInfo?, entries: [GuestbookPage.Entry] = [], notice: String? = nil
    ) -> GuestbookPage {
        GuestbookPage(
            frontendVersion: "2.0.0", frontendPod: "frontend-7", backend: backend, entries: entries, notice: notice,
            idempotencyKey: "key-1", stylesheetPath: "/assets/skalar.css?v=2.0.0")
    }

    @Test func everyValueIsEscaped() {
        let text = Self.hostile
        var page = GuestbookPage(
            frontendVersion: text, frontendPod: text, backend: BackendInfo(version: text, pod: text),
            entries: [GuestbookPage.Entry(author: text, message: text, createdAt: text)], notice: text,
            idempotencyKey: text, stylesheetPath: text)
        page.fieldErrors = ["author": text]
        page.draftAuthor = text
        page.draftMessage = text
        let html = page.render()
        #expect(!html.contains("<script>") && !html.contains("alert('x')") && !html.contains(#""q""#))
        // Versions and pods (the frontend's pod twice: its card and the footer), the entry's author,
        // message and timestamp, the notice, the field error, both drafts, the key and the stylesheet path.
        #expect(html.ranges(of: Self.escaped).count == 14)
    }

    @Test func servedByCardsShowBothVersions() {
        let html = page(backend: BackendInfo(version: "1.0.0", pod: "backend-0")).render()
        let frontendCard = """
            <div class="card tone-5">
            <span class="role">Frontend</span>
            <span class="version">2.0.0</span>
            <span class="pod">frontend-7</span>
            """
        let backendCard = """
            <div class="card tone-4">
            <span class="role">Backend</span>
            <span class="version">1.0.0</span>
            <span class="pod">backend-0</span>
            """
        #expect(html.contains(frontendCard) && html.contains(backendCard))
        #expect(html.contains(#"<link rel="stylesheet" href="/assets/skalar.css?v=2.0.0">"#))
        #expect(html.contains(#"<input type="hidden" name="idempotencyKey" value="key-1">"#))
        #expect(!html.contains(#"class="notice""#))
    }

    @Test func entriesAreListedInOrder() {
        let entries = [
            GuestbookPage.Entry(author: "Bo", message: "second\nline", createdAt: "2026-11-26T16:52:22.123Z"),
            GuestbookPage.Entry(author: "Ada", message: "first", createdAt: "2026-11-25T08:05:00.000Z"),
        ]
        let html = page(backend: BackendInfo(version: "1.0.0", pod: "backend-0"), entries: entries).render()
        let bo = html.ranges(of: #"<bdi class="author">Bo</bdi>"#).first
        let ada = html.ranges(of: #"<bdi class="author">Ada</bdi>"#).first
        #expect(bo != nil && ada != nil && bo!.lowerBound < ada!.lowerBound)
        #expect(html.contains("<p class=\"message\" dir=\"auto\">second\nline</p>"))
        #expect(html.contains(#"<time datetime="2026-11-26T16:52:22.123Z">2026-11-26 16:52 UTC</time>"#))
        #expect(!html.contains("No entries yet"))
    }

    @Test func emptyGuestbookInvitesTheFirstEntry() {
        let html = page(backend: BackendInfo(version: "1.0.0", pod: "backend-0")).render()
        #expect(html.contains(#"<p class="empty">No entries yet. Be the first to sign.</p>"#))
        #expect(!html.contains(#"<ol class="entries">"#))
    }

    @Test func withoutBackendTheCardSaysSoAndNoListIsShown() {
        let html = page(backend: nil, notice: PageRoutes.unavailableNotice).render()
        let unavailableCard = """
            <div class="card down">
            <span class="role">Backend</span>
            <span class="version">unavailable</span>
            <span class="pod">no answer</span>
            """
        #expect(html.contains(unavailableCard))
        #expect(html.contains(#"<p class="notice" role="alert">\#(PageRoutes.unavailableNotice)</p>"#))
        #expect(!html.contains("No entries yet") && !html.contains(#"<ol class="entries">"#))
    }

    @Test func fieldErrorsMarkTheirFieldOnly() {
        var page = page(backend: BackendInfo(version: "1.0.0", pod: "backend-0"))
        page.fieldErrors = ["author": "must not be empty"]
        page.draftMessage = "kept"
        let html = page.render()
        #expect(html.contains(#"value="" aria-invalid="true" aria-describedby="author-error">"#))
        #expect(html.contains(#"<span class="field-error" id="author-error">must not be empty</span>"#))
        #expect(!html.contains("message-error"))
        #expect(html.contains(#"rows="3" required>kept</textarea>"#))
    }

    @Test func whatVisitorsWroteIsIsolatedForBidi() {
        // A right-to-left override that is never closed, and an isolate that is never closed.
        let author = "\u{202E}<i>Eve"
        let message = "total \u{2067}100"
        var page = page(
            backend: BackendInfo(version: "1.0.0", pod: "backend-0"),
            entries: [GuestbookPage.Entry(author: author, message: message, createdAt: "2026-11-26T16:52:22.123Z")])
        page.draftAuthor = author
        page.draftMessage = message
        let html = page.render()
        #expect(html.contains("<bdi class=\"author\">\u{202E}&lt;i&gt;Eve</bdi> · <time"))
        #expect(html.contains("<p class=\"message\" dir=\"auto\">total \u{2067}100</p>"))
        #expect(html.contains("autocomplete=\"name\" dir=\"auto\" value=\"\u{202E}&lt;i&gt;Eve\">"))
        let textarea = #"<textarea name="message" dir="auto" maxlength="2000" rows="3" required>"#
        #expect(html.contains(textarea + "total \u{2067}100</textarea>"))
        #expect(!html.contains("<i>"))
    }

    @Test func timestampsReadAsMinutesInUTC() {
        #expect(GuestbookPage.readableTime("2026-11-26T16:52:22.123Z") == "2026-11-26 16:52 UTC")
        #expect(GuestbookPage.readableTime("2026-11-26T16:52") == "2026-11-26 16:52 UTC")
        #expect(GuestbookPage.readableTime("yesterday") == "yesterday")
    }
}
