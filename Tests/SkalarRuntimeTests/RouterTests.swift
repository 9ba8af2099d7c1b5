import HTTPTypes
import Testing

@testable import SkalarRuntime

@Suite struct RouterTests {
    private func makeRouter() -> Router {
        let router = Router()
        router.get("/api/v1/entries") { _ in Response() }
        router.post("/api/v1/entries") { _ in Response() }
        router.get("/api/v1/entries/{id}") { _ in Response() }
        router.delete("/api/v1/entries/{id}") { _ in Response() }
        router.get("/api/v1/entries/latest") { _ in Response() }
        return router
    }

    @Test func literalBeatsParameter() {
        guard case let .found(route, parameters) = makeRouter().match(method: .get, path: "/api/v1/entries/latest")
        else {
            Issue.record("no match")
            return
        }
        #expect(route.pattern == "/api/v1/entries/latest")
        #expect(parameters.isEmpty)
    }

    @Test func capturesDecodedParameter() {
        guard case let .found(route, parameters) = makeRouter().match(method: .delete, path: "/api/v1/entries/4%202")
        else {
            Issue.record("no match")
            return
        }
        #expect(route.pattern == "/api/v1/entries/{id}")
        #expect(parameters["id"] == "4 2")
    }

    @Test func wrongMethodListsAllowed() {
        guard case let .methodNotAllowed(allowed) = makeRouter().match(method: .put, path: "/api/v1/entries/7") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.delete, .get, .head])
    }

    @Test func headUsesGet() {
        guard case let .found(route, _) = makeRouter().match(method: .head, path: "/api/v1/entries") else {
            Issue.record("no match")
            return
        }
        #expect(route.method == .get)
    }

    @Test func unknownPathAndBadEscapeAreNotFound() {
        #expect(isNotFound(makeRouter().match(method: .get, path: "/api/v2/entries")))
        #expect(isNotFound(makeRouter().match(method: .get, path: "/api/v1/entries/%zz")))
        #expect(isNotFound(makeRouter().match(method: .get, path: "/api")))
    }

    private func isNotFound(_ match: Router.Match) -> Bool {
        if case .notFound = match { return true }
        return false
    }
}
