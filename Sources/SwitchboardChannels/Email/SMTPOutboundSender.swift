import Foundation
import SwitchboardCore

/// The email channel's `OutboundSender`: turns an outbox row into an `SMTPMail` and sends it with
/// `SMTPSender`. Every value that reaches the bytes comes from the row (Message-ID from the outbox
/// id, Date from its creation time, the MIME boundary from the Message-ID), so an attempt made
/// again after a crash between "sent" and "recorded" sends byte for byte the same mail.
public struct SMTPOutboundSender: OutboundSender {
    public let sender: SMTPSender

    public init(sender: SMTPSender) { self.sender = sender }

    public var outboundChannel: Channel { .email }

    /// The domain of Message-IDs: the From address's domain.
    public var messageIDDomain: String {
        String(sender.settings.from.address.split(separator: "@").last ?? "switchboard.invalid").lowercased()
    }

    /// `<ob_…@support.example.com>` without brackets.
    public func messageID(forOutboxID outboxID: String) -> String? { "\(outboxID)@\(messageIDDomain)" }

    public func mail(for item: OutboundItem) -> SMTPMail {
        let m = item.message
        var recipients = AddressParser.parse(m.recipient).filter { $0.address.contains("@") }
        if recipients.isEmpty { recipients = [MailAddress(address: m.recipient)] }
        return SMTPMail(from: sender.settings.from, to: recipients, subject: m.subject ?? "", text: m.text, html: m.html,
                        messageID: item.threading.messageID ?? "\(item.outboxID)@\(messageIDDomain)",
                        date: item.createdAt, inReplyTo: item.threading.inReplyTo, references: item.threading.references,
                        isAutomatic: m.isAutomatic)
    }

    public func send(_ item: OutboundItem) -> SendOutcome {
        func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
        switch sender.send(mail(for: item)) {
        case .sent(let answer): return .sent(providerID: Self.queueID(in: trimmed(answer)))
        case .retryLater(let reason): return .retry(after: nil, reason: trimmed(reason))
        case .rejected(_, let answer): return .rejected(reason: "SMTP server refused: " + trimmed(answer))
        }
    }

    /// The server's queue id from `250 2.0.0 Ok: queued as 4F2A` (the last word), for the record.
    static func queueID(in answer: String) -> String? {
        guard let range = answer.range(of: "queued as ", options: .caseInsensitive) else { return nil }
        let id = answer[range.upperBound...].split(separator: " ").first.map(String.init)
        return id.flatMap { $0.isEmpty ? nil : String($0.prefix(64)) }
    }
}

extension SMTPOutboundSender {
    /// Where an answer to a stored inbound mail goes: its Reply-To (kept in `metadata["reply_to"]`
    /// by the parser) when it names an address, else the sender's address.
    public static func answerAddress(replyTo: String?, sender: String) -> String {
        if let replyTo, let first = AddressParser.parse(replyTo).first(where: { $0.address.contains("@") }) {
            return first.address
        }
        return sender
    }
}
