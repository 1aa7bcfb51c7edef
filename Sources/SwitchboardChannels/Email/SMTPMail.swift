import Foundation
import SwitchboardCore

/// An outbound mail (an agent's reply or an automatic answer) as Switchboard sends it: the
/// values, and `rendered()` for the RFC 5322 bytes.
///
/// The Message-ID and Date are inputs, not made while rendering, and the MIME boundary is
/// derived from the Message-ID: the outbox stores them with the row, so a mail sent again after
/// a crash between "sent" and "recorded" is byte for byte the same mail, with the same
/// Message-ID, which mail clients and servers recognize as one message.
public struct SMTPMail: Sendable, Hashable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress]
    /// Envelope-only recipients (not in any header).
    public var bcc: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    /// The plain text (always sent; the HTML, when given, is its alternative).
    public var text: String
    public var html: String?
    /// Without angle brackets: `20261122.abc@support.example.com`.
    public var messageID: String
    public var date: Date
    /// The Message-ID answered (no brackets), and the thread's References oldest first.
    public var inReplyTo: String?
    public var references: [String]
    /// An automatic answer (acknowledgement, out of hours): `Auto-Submitted: auto-replied` and
    /// `X-Auto-Response-Suppress: All` (RFC 3834), so that other robots do not answer it.
    public var isAutomatic: Bool
    /// Further header fields (name, value), values in UTF-8 (encoded as needed).
    public var extraHeaders: [(String, String)]

    public init(from: MailAddress, to: [MailAddress], cc: [MailAddress] = [], bcc: [MailAddress] = [],
                replyTo: MailAddress? = nil, subject: String, text: String, html: String? = nil,
                messageID: String, date: Date, inReplyTo: String? = nil, references: [String] = [],
                isAutomatic: Bool = false, extraHeaders: [(String, String)] = []) {
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
        self.inReplyTo = inReplyTo
        self.references = references
        self.isAutomatic = isAutomatic
        self.extraHeaders = extraHeaders
    }

    public static func == (a: SMTPMail, b: SMTPMail) -> Bool {
        a.from == b.from && a.to == b.to && a.cc == b.cc && a.bcc == b.bcc && a.replyTo == b.replyTo
            && a.subject == b.subject && a.text == b.text && a.html == b.html && a.messageID == b.messageID
            && a.date == b.date && a.inReplyTo == b.inReplyTo && a.references == b.references
            && a.isAutomatic == b.isAutomatic && a.extraHeaders.elementsEqual(b.extraHeaders, by: { $0 == $1 })
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(messageID)
        hasher.combine(subject)
    }

    /// A new Message-ID (no brackets) at `domain`: time-ordered and random, never reused.
    public static func newMessageID(domain: String, now: Date = Date()) -> String {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let random = (UInt64.random(in: 0...UInt64.max), UInt64.random(in: 0...UInt64.max))
        return "\(String(millis, radix: 36)).\(String(random.0, radix: 36))\(String(random.1, radix: 36))@\(domain.lowercased())"
    }

    /// The answer's threading from the mail it answers (RFC 5322 §3.6.4): In-Reply-To is the
    /// original's Message-ID; References are the original's References (or else its
    /// In-Reply-To) followed by its Message-ID. Subject gets one "Re: ".
    public static func replyThreading(toMessageID original: String?, references: [String], inReplyTo: [String] = [],
                                      subject: String?) -> (inReplyTo: String?, references: [String], subject: String) {
        let id = original.map { MailThreading.stripAngles($0) }.flatMap { $0.isEmpty ? nil : $0 }
        var chain = (references.isEmpty ? Array(inReplyTo.prefix(1)) : references).map { MailThreading.stripAngles($0) }
        if let id { chain.append(id) }
        var seen = Set<String>()
        chain = chain.filter { !$0.isEmpty && seen.insert($0).inserted }
        // Keep the first and the last ids when the chain grows long (RFC 5322 allows trimming).
        if chain.count > 20 { chain = [chain[0]] + chain.suffix(19) }
        let base = (subject ?? "").trimmingCharacters(in: .whitespaces)
        let lower = base.lowercased()
        let replySubject = lower.hasPrefix("re:") || lower.hasPrefix("aw:") || lower.hasPrefix("sv:") ? base : "Re: " + base
        return (id, chain, replySubject)
    }

    /// Every envelope recipient: To, Cc and Bcc, each once.
    public var envelopeRecipients: [String] {
        var seen = Set<String>()
        return (to + cc + bcc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }
}
