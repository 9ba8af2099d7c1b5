import HTTPTypes

/// Maps a method and path to a route, capturing path parameters.
///
/// Built before the server starts and read-only afterwards, so every event loop can share it. Lookup is a
/// walk down a tree of path segments: literal children first, then a parameter child.
public final class Router: @unchecked Sendable {
    /// The outcome of looking up a request.
    public enum Match {
        case found(Route, parameters: [String: String])
        /// The path exists, but not for this method; `allowed` lists the methods it has.
        case methodNotAllowed(allowed: [HTTPRequest.Method])
        case notFound
    }

    private final class Node {
        var literals: [String: Node] = [:]
        var parameter: (name: String, node: Node)?
        var routes: [HTTPRequest.Method: Route] = [:]

        /// The route for `method`, HEAD falling back to GET; a scan, because a node has a few methods at
        /// most and hashing a method's name costs more than comparing it with each.
        func route(for method: HTTPRequest.Method) -> Route? {
            var get: Route?
            for (registered, route) in routes {
                if registered == method { return route }
                if registered == .get { get = route }
            }
            return method == .head ? get : nil
        }
    }

    private let root = Node()
    /// Patterns without parameters by their text, so the common request finds its route with one lookup.
    private var literalPatterns: [String: Node] = [:]
    private var frozen = false

    public init() {}

    /// Registers `handler` for `method` on `pattern`. A `HEAD` request is answered by the `GET` route.
    public func on(
        _ method: HTTPRequest.Method, _ pattern: String, operational: Bool = false, handler: @escaping Handler
    ) {
        precondition(!frozen, "routes must be registered before the server starts")
        var node = root
        for segment in RouteSegment.parse(pattern: pattern) {
            switch segment {
            case let .literal(text):
                if let next = node.literals[text] {
                    node = next
                } else {
                    let next = Node()
                    node.literals[text] = next
                    node = next
                }
            case let .parameter(name):
                if let existing = node.parameter {
                    precondition(existing.name == name, "conflicting parameter names at \(pattern)")
                    node = existing.node
                } else {
                    let next = Node()
                    node.parameter = (name, next)
                    node = next
                }
            }
        }
        precondition(node.routes[method] == nil, "route \(method) \(pattern) registered twice")
        node.routes[method] = Route(method: method, pattern: pattern, isOperational: operational, handler: handler)
        if !pattern.contains("{") { literalPatterns[pattern] = node }
    }

    public func get(_ pattern: String, operational: Bool = false, handler: @escaping Handler) {
        on(.get, pattern, operational: operational, handler: handler)
    }

    public func post(_ pattern: String, operational: Bool = false, handler: @escaping Handler) {
        on(.post, pattern, operational: operational, handler: handler)
    }

    public func put(_ pattern: String, operational: Bool = false, handler: @escaping Handler) {
        on(.put, pattern, operational: operational, handler: handler)
    }

    public func delete(_ pattern: String, operational: Bool = false, handler: @escaping Handler) {
        on(.delete, pattern, operational: operational, handler: handler)
    }

    func freeze() { frozen = true }

    /// Finds the route for `method` and the still percent-encoded `path`.
    public func match(method: HTTPRequest.Method, path: String) -> Match {
        if let node = literalPatterns[path], let route = node.route(for: method) {
            return .found(route, parameters: [:])
        }
        var node = root
        var parameters: [String: String] = [:]
        // Segments are cut on the UTF-8 view: splitting the String itself would walk grapheme clusters,
        // which cost more than the rest of routing together.
        let utf8 = path.utf8
        var cursor = utf8.startIndex
        while cursor != utf8.endIndex {
            guard utf8[cursor] != UInt8(ascii: "/") else {
                cursor = utf8.index(after: cursor)
                continue
            }
            let start = cursor
            while cursor != utf8.endIndex && utf8[cursor] != UInt8(ascii: "/") { cursor = utf8.index(after: cursor) }
            let text = String(Substring(utf8[start..<cursor]))
            if let next = node.literals[text] {
                node = next
            } else if let (name, next) = node.parameter {
                guard let decoded = PercentDecoding.decode(text) else { return .notFound }
                parameters[name] = decoded
                node = next
            } else {
                return .notFound
            }
        }
        if let route = node.route(for: method) {
            return .found(route, parameters: parameters)
        }
        if node.routes.isEmpty { return .notFound }
        var allowed = Array(node.routes.keys)
        if node.routes[.get] != nil && node.routes[.head] == nil { allowed.append(.head) }
        return .methodNotAllowed(allowed: allowed.sorted { $0.rawValue < $1.rawValue })
    }
}
