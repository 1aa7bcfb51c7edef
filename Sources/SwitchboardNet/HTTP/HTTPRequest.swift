/// The protocol version of a request. Only HTTP/1.0 and HTTP/1.1 are spoken.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// The request line and header fields, available as soon as the blank line arrives so the server
/// can answer `100 Continue` or refuse the body before reading it.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    /// The request target exactly as sent: `/v1/messages?limit=10`.
    public var target: String
    /// The path as sent, without the query: `/v1/a%20b`.
    public var rawPath: String
    /// The path with percent-escapes decoded: `/v1/a b`. Routers split `rawPath` instead, so that
    /// an encoded `/` stays inside its segment.
    public var path: String
    /// The raw query string after `?`, without decoding; nil when there is no `?`.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// Whether the connection stays open after the response (HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`).
    public var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    public var expectsContinue: Bool
    /// The declared Content-Length, if any.
    public var contentLength: Int?
    /// `Transfer-Encoding: chunked`.
    public var isChunked: Bool

    public init(method: String, target: String, rawPath: String, path: String, query: String?,
                version: HTTPVersion, headers: HTTPHeaders, keepAlive: Bool, expectsContinue: Bool,
                contentLength: Int?, isChunked: Bool) {
        self.method = method
        self.target = target
        self.rawPath = rawPath
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
        self.contentLength = contentLength
        self.isChunked = isChunked
    }

    /// Whether a body follows the head.
    public var hasBody: Bool { isChunked || (contentLength ?? 0) > 0 }
}

/// One complete request as handed to a handler: head, decoded body, and who sent it.
public struct HTTPRequest: Sendable, Equatable {
    public var head: HTTPRequestHead
    /// The body after any chunked decoding. Never logged.
    public var body: [UInt8]
    /// Filled in by the server from the connection.
    public var peer: HTTPPeer
    /// Filled in by `HTTPRouter` from `{name}` segments of the matched pattern, decoded.
    public var pathParameters: [String: String]

    public init(head: HTTPRequestHead, body: [UInt8], peer: HTTPPeer = .none, pathParameters: [String: String] = [:]) {
        self.head = head
        self.body = body
        self.peer = peer
        self.pathParameters = pathParameters
    }

    /// A request built by hand, for tests and in-process callers. The target is split and decoded
    /// as the parser would (an undecodable path is kept raw).
    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
                body: [UInt8] = [], peer: HTTPPeer = .none) {
        let rawPath: String
        let query: String?
        if let q = target.firstIndex(of: "?") {
            rawPath = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            rawPath = target
            query = nil
        }
        let close = headers.containsToken("close", in: "Connection")
        let keepAlive = version == .http1_0 ? (!close && headers.containsToken("keep-alive", in: "Connection")) : !close
        self.init(head: HTTPRequestHead(method: method, target: target, rawPath: rawPath,
                                        path: HTTPSyntax.percentDecode(rawPath, plusAsSpace: false) ?? rawPath,
                                        query: query, version: version, headers: headers, keepAlive: keepAlive,
                                        expectsContinue: false, contentLength: body.isEmpty ? nil : body.count,
                                        isChunked: false),
                  body: body, peer: peer)
    }

    public var method: String { head.method }
    public var target: String { head.target }
    public var path: String { head.path }
    public var rawPath: String { head.rawPath }
    public var query: String? { head.query }
    public var version: HTTPVersion { head.version }
    public var headers: HTTPHeaders { head.headers }
    public var keepAlive: Bool { head.keepAlive }

    /// The query decoded into name/value pairs in order (`+` is a space, as in HTML forms).
    /// Computed on each call: handlers that need it call it once.
    public var queryItems: [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        var items: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let eq = part.firstIndex(of: "=") {
                name = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                name = part
                value = ""
            }
            items.append((HTTPSyntax.percentDecode(String(name), plusAsSpace: true) ?? String(name),
                          HTTPSyntax.percentDecode(String(value), plusAsSpace: true) ?? String(value)))
        }
        return items
    }

    /// The first query value named `name`, decoded.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The body as UTF-8 text (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
