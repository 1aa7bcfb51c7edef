/// The bounds the parser holds every mail to, so that one hostile mail costs bounded memory and
/// time. Crossing the first five is a `MailParseError` (the mail is quarantined); the last two only
/// trim what is kept.
public struct MailParseLimits: Sendable, Hashable {
    /// The whole raw mail. A 25 MB attachment is about 34 MB of base64.
    public var maxMessageBytes: Int
    /// One header block (the top one or a part's).
    public var maxHeaderBytes: Int
    /// MIME entities in the whole tree, the top included.
    public var maxParts: Int
    /// Multipart nesting; the top-level multipart is depth 1.
    public var maxDepth: Int
    /// Attachment bytes kept in `MailAttachment.data`; a larger attachment keeps its size and
    /// metadata but no bytes.
    public var maxAttachmentBytes: Int
    /// Decoded text or HTML body bytes kept; longer bodies are cut (with a defect).
    public var maxTextBytes: Int

    public init(maxMessageBytes: Int = 64 << 20, maxHeaderBytes: Int = 256 << 10, maxParts: Int = 500,
                maxDepth: Int = 20, maxAttachmentBytes: Int = 10 << 20, maxTextBytes: Int = 4 << 20) {
        self.maxMessageBytes = maxMessageBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxParts = maxParts
        self.maxDepth = maxDepth
        self.maxAttachmentBytes = maxAttachmentBytes
        self.maxTextBytes = maxTextBytes
    }

    public static let `default` = MailParseLimits()
}
