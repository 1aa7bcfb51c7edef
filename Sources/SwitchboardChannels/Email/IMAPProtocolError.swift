/// The server sent something the parser will not read: a line or a literal over its limit, or
/// bytes that are not IMAP. The connection cannot be trusted after this; the client drops it.
public struct IMAPProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The start of the offending line, for the log (never a literal's contents).
    public var excerpt: String

    public init(_ message: String, excerpt: String = "") {
        self.message = message
        self.excerpt = excerpt
    }

    public var description: String {
        excerpt.isEmpty ? message : "\(message) (near \(excerpt.debugDescription))"
    }
}
