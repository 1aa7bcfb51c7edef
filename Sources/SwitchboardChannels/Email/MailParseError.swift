/// Why a mail could not be parsed. The adapter quarantines the raw bytes with this error and
/// moves on: one bad mail never blocks the mailbox.
///
/// Errors are reserved for what Switchboard refuses to read (a limit was crossed, the bytes are
/// not a mail at all). Everything that is merely broken but readable is tolerated and noted as a
/// `MailDefect` on the parsed message instead.
public struct MailParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// No bytes at all.
        case empty
        /// The whole mail is larger than `MailParseLimits.maxMessageBytes`.
        case messageTooLarge = "message_too_large"
        /// One header block is larger than `MailParseLimits.maxHeaderBytes`.
        case headerTooLarge = "header_too_large"
        /// More MIME parts than `MailParseLimits.maxParts`.
        case tooManyParts = "too_many_parts"
        /// Multiparts nested deeper than `MailParseLimits.maxDepth`.
        case tooDeep = "too_deep"
        /// The bytes do not start with a header field: this is not a mail.
        case notAMessage = "not_a_message"
        /// The mail has no usable sender address (From, Sender) to make a contact identity of.
        case noSender = "no_sender"
    }

    public var code: Code
    /// Where: a header name (`From`), or a MIME part number (`1.2`, the top being `0`).
    public var place: String
    public var message: String
    public var hint: String

    public init(code: Code, place: String, message: String, hint: String) {
        self.code = code
        self.place = place
        self.message = message
        self.hint = hint
    }

    public var description: String { "\(code.rawValue) at \(place): \(message) (\(hint))" }
}

/// Something broken that the parser read past: a missing closing boundary, a guessed boundary,
/// an unknown charset. Kept on the message so an admin can see why a mail looks odd.
public struct MailDefect: Sendable, Hashable, CustomStringConvertible {
    public var code: String
    /// A MIME part number (`0` for the top) or a header name.
    public var place: String

    public init(code: String, place: String) {
        self.code = code
        self.place = place
    }

    public var description: String { "\(code)@\(place)" }
}
