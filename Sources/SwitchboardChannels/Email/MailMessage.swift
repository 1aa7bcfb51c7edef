import Foundation

/// One mail as the email channel understands it: who wrote it, to whom, about what, in reply to
/// which earlier mails, its readable text, and its attachments. Produced by `MailParser.parse`;
/// mapped to the channel-neutral `InboundMessage` by `MailThreading.inboundMessage(from:…)`.
public struct MailMessage: Sendable, Hashable {
    /// Every top-level header field in order, unfolded, not RFC 2047-decoded.
    public var headers: [MailHeader]
    /// Message-ID without angle brackets.
    public var messageID: String?
    public var inReplyTo: [String]
    /// References, oldest first.
    public var references: [String]
    /// The first From address (a mail with several authors keeps the rest in `authors`).
    public var from: MailAddress?
    public var authors: [MailAddress]
    public var sender: MailAddress?
    public var replyTo: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    /// Decoded subject (RFC 2047), unfolded and trimmed.
    public var subject: String?
    public var date: Date?
    /// The full readable text: the text/plain body, else the HTML body converted to text.
    /// Line breaks are `\n`. Quoted replies and signatures are kept (see `QuoteStripper`).
    public var text: String
    /// Where `text` came from.
    public var textSource: TextSource
    /// The decoded HTML body, when the mail has one.
    public var html: String?
    public var attachments: [MailAttachment]
    /// Why this mail was sent by a machine (auto-reply, bulk, list), nil for a person's mail.
    /// Automated mail is stored but never auto-answered.
    public var automation: MailAutomation?
    /// What was broken but read past.
    public var defects: [MailDefect]

    public enum TextSource: String, Sendable, Hashable {
        case plain, html, none
    }

    public var isAutomated: Bool { automation != nil }

    /// Where an answer goes: Reply-To when the sender set one, else From.
    public var answerAddresses: [MailAddress] {
        if !replyTo.isEmpty { return replyTo }
        return authors.isEmpty ? (sender.map { [$0] } ?? []) : authors
    }

    /// The first header field with this name (case-insensitive), unfolded.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// Every header field with this name, in order.
    public func headers(named name: String) -> [String] {
        headers.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    public init(headers: [MailHeader] = [], messageID: String? = nil, inReplyTo: [String] = [],
                references: [String] = [], from: MailAddress? = nil, authors: [MailAddress] = [],
                sender: MailAddress? = nil, replyTo: [MailAddress] = [], to: [MailAddress] = [],
                cc: [MailAddress] = [], subject: String? = nil, date: Date? = nil, text: String = "",
                textSource: TextSource = .none, html: String? = nil, attachments: [MailAttachment] = [],
                automation: MailAutomation? = nil, defects: [MailDefect] = []) {
        self.headers = headers
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.from = from
        self.authors = authors
        self.sender = sender
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.subject = subject
        self.date = date
        self.text = text
        self.textSource = textSource
        self.html = html
        self.attachments = attachments
        self.automation = automation
        self.defects = defects
    }
}
