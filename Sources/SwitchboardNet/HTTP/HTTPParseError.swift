/// Why a request was refused before it reached a handler: the status to answer with, a short
/// reason for the admin's log, and the header concerned when there is one. Never contains
/// header values or body bytes.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var reason: String
    /// The header field name concerned, when the error is about one.
    public var field: String?

    public init(status: Int, reason: String, field: String? = nil) {
        self.status = status
        self.reason = reason
        self.field = field
    }

    public var description: String {
        if let field { return "\(status) \(reason) (\(field))" }
        return "\(status) \(reason)"
    }

    /// The error code used in the JSON error body (`bad_request`, `payload_too_large`, …).
    public var code: String { HTTPResponse.errorCode(forStatus: status) }

    static func badRequest(_ reason: String, field: String? = nil) -> HTTPParseError {
        HTTPParseError(status: 400, reason: reason, field: field)
    }
}

/// What `HTTPRequestParser.next()` found in the bytes fed so far.
public enum HTTPParseResult: Sendable, Equatable {
    /// Feed more bytes, then call `next()` again.
    case needMoreData
    /// The request line and headers of a request with a body are complete and the body follows.
    /// Emitted once, before that request's `.request`; a request without a body comes straight
    /// as `.request`. The server uses it for `100 Continue`.
    case head(HTTPRequestHead)
    /// A complete request. Bytes after it stay buffered for the next call.
    case request(HTTPRequest)
    /// The request is refused; the parser stays failed and the connection must close after
    /// the error response.
    case failure(HTTPParseError)
}
