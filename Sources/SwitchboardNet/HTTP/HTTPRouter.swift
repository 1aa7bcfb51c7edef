/// Maps method and path to a handler. Patterns are paths whose segments are literals or
/// `{name}` parameters: `/v1/inquiries/{id}/messages`. Parameters reach the handler decoded in
/// `request.pathParameters`. A literal segment beats a parameter (`/v1/messages/stats` wins over
/// `/v1/messages/{id}`). Unknown paths get a 404 JSON error, known paths with another method a
/// 405 with `Allow`. `HEAD` is served by the `GET` route when there is no `HEAD` route (the server
/// drops the body).
public struct HTTPRouter: Sendable {
    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        var method: String
        var pattern: String
        var segments: [Segment]
        var handler: HTTPHandler
    }

    /// What a path and method resolve to.
    public enum Match: Sendable, Equatable {
        case found(pattern: String, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private var routes: [Route] = []
    /// Routes whose segments are all literals, by exact path: a request for such a path needs no
    /// matching (a literal beats a parameter, so nothing can be more specific). The hot ingest
    /// paths resolve here without splitting the path.
    private var literalRoutes: [String: [Route]] = [:]

    public init() {}

    /// Adds a route. Registering the same method and pattern twice is a programming error.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping HTTPHandler) {
        precondition(pattern.hasPrefix("/"), "route pattern must start with /: \(pattern)")
        let segments = Self.split(Substring(pattern)).map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(String(part))
        }
        precondition(!routes.contains { $0.method == method && $0.segments == segments },
                     "route registered twice: \(method) \(pattern)")
        let route = Route(method: method, pattern: pattern, segments: segments, handler: handler)
        routes.append(route)
        if !segments.contains(where: { if case .parameter = $0 { true } else { false } }) {
            literalRoutes[pattern, default: []].append(route)
        }
    }

    public mutating func get(_ pattern: String, _ handler: @escaping HTTPHandler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping HTTPHandler) { add("POST", pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping HTTPHandler) { add("PUT", pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping HTTPHandler) { add("PATCH", pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping HTTPHandler) { add("DELETE", pattern, handler) }

    /// The router as a server handler.
    public var handler: HTTPHandler {
        let router = self
        return { request, responder in router.handle(request, responder) }
    }

    public func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        switch resolve(method: request.method, rawPath: request.rawPath) {
        case .found(let route, let parameters):
            var request = request
            request.pathParameters = parameters
            route.handler(request, responder)
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.jsonError(status: 405, code: "method_not_allowed",
                                                  message: "\(request.method) is not allowed on \(request.path)",
                                                  hint: "use one of: \(allowed.joined(separator: ", "))")
            response.headers.add(name: "Allow", value: allowed.joined(separator: ", "))
            responder.send(response)
        case .notFound:
            responder.send(.jsonError(status: 404, code: "not_found", message: "no route for \(request.method) \(request.path)"))
        }
    }

    /// Resolves without calling anything, for tests and for the daemon's own introspection.
    public func match(method: String, path rawPath: String) -> Match {
        switch resolve(method: method, rawPath: rawPath) {
        case .found(let route, let parameters): .found(pattern: route.pattern, parameters: parameters)
        case .methodNotAllowed(let allowed): .methodNotAllowed(allowed: allowed)
        case .notFound: .notFound
        }
    }

    private enum Resolution {
        case found(Route, [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    private func resolve(method: String, rawPath: String) -> Resolution {
        if let literal = literalRoutes[rawPath], let route = literal.first(where: { $0.method == method }) {
            return .found(route, [:])
        }
        let raw = Self.split(Substring(rawPath))
        var parts: [String] = []
        parts.reserveCapacity(raw.count)
        for part in raw {
            parts.append(part.contains("%") ? (HTTPSyntax.percentDecode(String(part), plusAsSpace: false) ?? String(part)) : String(part))
        }

        // The most specific matching pattern(s): literals beat parameters, left to right.
        var best: [Route] = []
        var bestKey: [Bool] = []
        for route in routes where route.segments.count == parts.count {
            var matches = true
            var key: [Bool] = []
            key.reserveCapacity(parts.count)
            for (segment, part) in zip(route.segments, parts) {
                switch segment {
                case .literal(let literal):
                    if literal != part { matches = false }
                    key.append(true)
                case .parameter:
                    if part.isEmpty { matches = false }
                    key.append(false)
                }
                if !matches { break }
            }
            guard matches else { continue }
            if best.isEmpty || Self.moreSpecific(key, than: bestKey) {
                best = [route]
                bestKey = key
            } else if key == bestKey {
                best.append(route)
            }
        }
        guard !best.isEmpty else { return .notFound }

        let chosen = best.first { $0.method == method } ?? (method == "HEAD" ? best.first { $0.method == "GET" } : nil)
        guard let route = chosen else {
            var allowed = Set(best.map(\.method))
            if allowed.contains("GET") { allowed.insert("HEAD") }
            return .methodNotAllowed(allowed.sorted())
        }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(route.segments, parts) {
            if case .parameter(let name) = segment { parameters[name] = part }
        }
        return .found(route, parameters)
    }

    private static func moreSpecific(_ a: [Bool], than b: [Bool]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x }
        return false
    }

    /// "/a/b" → ["a", "b"]; "/" → [""]; keeps empty segments so "/a/" differs from "/a".
    private static func split(_ path: Substring) -> [Substring] {
        var path = path
        if path.hasPrefix("/") { path = path.dropFirst() }
        return path.split(separator: "/", omittingEmptySubsequences: false)
    }
}
