import SkalarRuntime

/// Everything the page shows; rendered by `render()`, escaping every value. What visitors wrote is also
/// set apart for the bidirectional algorithm (`<bdi>`, `dir="auto"`), so a right-to-left override or an
/// unclosed isolate in one entry cannot reorder the text around it.
struct GuestbookPage {
    struct Entry {
        let author: String
        let message: String
        let createdAt: String
    }

    let frontendVersion: String
    let frontendPod: String
    let backend: BackendInfo?
    let entries: [Entry]
    /// Shown at the top when the backend did not answer, or refused the entry as a whole.
    var notice: String?
    /// Problems with the submitted form, by field name.
    var fieldErrors: [String: String] = [:]
    var draftAuthor = ""
    var draftMessage = ""
    /// Makes a double submit or a mesh retry of this form store one entry.
    var idempotencyKey: String
    let stylesheetPath: String

    func render() -> String {
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Skalar guestbook</title>
            <link rel="stylesheet" href="\(HTML.escape(stylesheetPath))">
            <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 \
            16'%3E%3Crect width='16' height='16' rx='4' fill='%232f6fde'/%3E%3C/svg%3E">
            </head>
            <body>
            <header class="masthead">
            <h1>Skalar <span>guestbook</span></h1>
            <p>A small workload for learning Kubernetes: reload to see which versions answer.</p>
            </header>
            <main>
            <section class="served-by" aria-label="Who served this page">
            \(versionCard(role: "Frontend", version: frontendVersion, pod: frontendPod))
            \(backend.map { versionCard(role: "Backend", version: $0.version, pod: $0.pod) } ?? unavailableCard())
            </section>

            """
        if let notice {
            html += "<p class=\"notice\" role=\"alert\">\(HTML.escape(notice))</p>\n"
        }
        html += form()
        html += entryList()
        html += """
            </main>
            <footer>Served by \(HTML.escape(frontendPod)) · <a href="/api/info">/api/info</a> · <a \
            href="/api/entries">/api/entries</a></footer>
            </body>
            </html>

            """
        return html
    }

    private func versionCard(role: String, version: String, pod: String) -> String {
        """
        <div class="card \(HTML.colorClass(for: version))">
        <span class="role">\(role)</span>
        <span class="version">\(HTML.escape(version))</span>
        <span class="pod">\(HTML.escape(pod))</span>
        </div>
        """
    }

    private func unavailableCard() -> String {
        """
        <div class="card down">
        <span class="role">Backend</span>
        <span class="version">unavailable</span>
        <span class="pod">no answer</span>
        </div>
        """
    }

    private func form() -> String {
        func error(_ field: String) -> String {
            fieldErrors[field].map { "<span class=\"field-error\" id=\"\(field)-error\">\(HTML.escape($0))</span>" }
                ?? ""
        }
        func described(_ field: String) -> String {
            fieldErrors[field] == nil ? "" : " aria-invalid=\"true\" aria-describedby=\"\(field)-error\""
        }
        return """
            <form class="compose" method="post" action="/entries">
            <input type="hidden" name="idempotencyKey" value="\(HTML.escape(idempotencyKey))">
            <label>Name <input name="author" maxlength="64" required autocomplete="name" dir="auto" \
            value="\(HTML.escape(draftAuthor))"\(described("author"))></label>
            \(error("author"))
            <label>Message <textarea name="message" dir="auto" maxlength="2000" rows="3" \
            required\(described("message"))>\(HTML.escape(draftMessage))</textarea></label>
            \(error("message"))
            <button type="submit">Sign the guestbook</button>
            </form>

            """
    }

    private func entryList() -> String {
        guard backend != nil || !entries.isEmpty else { return "" }
        guard !entries.isEmpty else { return "<p class=\"empty\">No entries yet. Be the first to sign.</p>\n" }
        var html = "<ol class=\"entries\">\n"
        for entry in entries {
            html += """
                <li><p class="message" dir="auto">\(HTML.escape(entry.message))</p>
                <p class="meta"><bdi class="author">\(HTML.escape(entry.author))</bdi> · <time \
                datetime="\(HTML.escape(entry.createdAt))">\
                \(HTML.escape(Self.readableTime(entry.createdAt)))</time></p></li>

                """
        }
        return html + "</ol>\n"
    }

    /// `2026-11-26T16:52:22.123Z` as `2026-11-26 16:52 UTC`.
    static func readableTime(_ timestamp: String) -> String {
        let characters = Array(timestamp)
        guard characters.count >= 16 else { return timestamp }
        return String(characters[0..<10]) + " " + String(characters[11..<16]) + " UTC"
    }
}
