import HTTPTypes
import SkalarRuntime

/// The browser page: `GET /` renders the guestbook, `POST /entries` takes the form and redirects back
/// (303, so a reload never posts again), `GET /assets/skalar.css` serves its stylesheet.
struct PageRoutes {
    static let pageSize = 20

    let configuration: ServiceConfiguration
    let backend: BackendClient
    let cpuWork: CPUWork

    func register(on router: Router) {
        let stylesheetPath = "/assets/skalar.css?v=\(configuration.version)"
        let stylesheet = Response.text(Stylesheet.css, contentType: "text/css; charset=utf-8")
        router.get("/assets/skalar.css") { _ in
            var response = stylesheet
            response.headers[.cacheControl] = "public, max-age=3600"
            return response
        }
        router.get("/") { [self] request in
            cpuWork.burn()
            var page = await load(for: request, stylesheetPath: stylesheetPath)
            let status: HTTPResponse.Status = page.backend == nil ? .serviceUnavailable : .ok
            if page.backend == nil && page.notice == nil { page.notice = Self.unavailableNotice }
            var response = Self.html(page.render(), status: status)
            if let backend = page.backend { response.headers[.backendVersion] = backend.version }
            return response
        }
        router.post("/entries") { [self] request in
            cpuWork.burn()
            return await submit(request, stylesheetPath: stylesheetPath)
        }
    }

    static let unavailableNotice =
        "The backend is unavailable right now, so entries cannot be shown or saved. This page keeps working and "
        + "will recover by itself."

    /// The page with the latest entries and the backend's identity, fetched side by side.
    private func load(for request: Request, stylesheetPath: String) async -> GuestbookPage {
        async let info = outcome { () async throws(HTTPError) in try await backend.info(for: request) }
        async let latest = outcome { () async throws(HTTPError) in
            try await backend.send(.get, "/api/v1/entries?limit=\(Self.pageSize)", for: request)
        }
        let backendInfo = try? await info.get()
        var entries: [GuestbookPage.Entry] = []
        var notice: String?
        switch await latest {
        case let .success(response) where response.status == 200:
            entries = Self.entries(from: response.body)
        case .success, .failure:
            notice = Self.unavailableNotice
        }
        return GuestbookPage(
            frontendVersion: configuration.version, frontendPod: configuration.podName,
            backend: notice == nil ? backendInfo : nil, entries: entries, notice: notice,
            idempotencyKey: EventLoop.current?.makeUUID() ?? request.id, stylesheetPath: stylesheetPath)
    }

    private func submit(_ request: Request, stylesheetPath: String) async -> Response {
        guard let contentType = request.headers[.contentType],
            contentType.lowercased().hasPrefix("application/x-www-form-urlencoded"),
            // A form is ASCII once encoded: raw bytes that are not UTF-8 are refused like bad escapes.
            let text = String(validating: request.body, as: UTF8.self),
            let fields = try? URLEncodedForm.fields(Substring(text))
        else {
            var page = await load(for: request, stylesheetPath: stylesheetPath)
            page.notice = "The form could not be read; please try again."
            return Self.html(page.render(), status: .badRequest)
        }
        let form = Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        let author = form["author"] ?? ""
        let message = form["message"] ?? ""
        let key = form["idempotencyKey"].flatMap { $0.isEmpty ? nil : $0 }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.idempotencyKey] = key
        let body: JSONValue = ["author": .string(author), "message": .string(message)]

        let created: ClientResponse
        do {
            created = try await backend.send(
                .post, "/api/v1/entries", for: request, headers: headers, body: body.serializedBytes)
        } catch {
            var page = await load(for: request, stylesheetPath: stylesheetPath)
            page.notice = "Your entry was not saved: \(error.message). Please try again."
            page.draftAuthor = author
            page.draftMessage = message
            // The call may have reached the backend: a second try must carry the same key.
            if let key { page.idempotencyKey = key }
            return Self.html(page.render(), status: error.status)
        }
        if created.status == 201 {
            var response = Response(status: .seeOther)
            response.headers[.location] = "/"
            response.noteBackend(created)
            return response
        }
        // The backend refused the entry: show why, with what the visitor typed.
        var page = await load(for: request, stylesheetPath: stylesheetPath)
        let problem = (try? JSONValue.parse(created.body))?["error"]
        if case let .object(fields)? = problem?["fields"] {
            for (field, reason) in fields { page.fieldErrors[field] = reason.stringValue }
        }
        if page.fieldErrors.isEmpty { page.notice = problem?["message"]?.stringValue ?? "Your entry was not saved." }
        page.draftAuthor = author
        page.draftMessage = message
        // Unless the backend refused it (4xx), the entry may be stored (504 write_outcome_unknown): a second
        // try must carry the same key. A refused draft is sent anew, with a new key.
        if let key, !(400..<500).contains(created.status) { page.idempotencyKey = key }
        var response = Self.html(page.render(), status: HTTPResponse.Status(code: created.status))
        response.noteBackend(created)
        return response
    }

    private static func entries(from body: [UInt8]) -> [GuestbookPage.Entry] {
        guard case let .array(items)? = (try? JSONValue.parse(body))?["items"] else { return [] }
        return items.compactMap { item in
            guard let author = item["author"]?.stringValue, let message = item["message"]?.stringValue,
                let createdAt = item["createdAt"]?.stringValue
            else { return nil }
            return GuestbookPage.Entry(author: author, message: message, createdAt: createdAt)
        }
    }

    /// The page with its security headers: a CSP that allows nothing but this origin's stylesheet, and
    /// the usual hardening against framing, sniffing and referrer leaks.
    static func html(_ body: String, status: HTTPResponse.Status) -> Response {
        var response = Response.text(body, status: status, contentType: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors "
            + "'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
