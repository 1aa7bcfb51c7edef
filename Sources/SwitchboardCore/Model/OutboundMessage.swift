import Foundation

/// A message Switchboard sends: an agent's reply or an automatic answer. Stored as a `messages`
/// row with direction `outbound` in the conversation it answers, plus an outbox row that delivers
/// it; both are written in one transaction before anything is sent.
public struct OutboundMessage: Sendable, Hashable {
    public var conversationID: String
    /// The channel it leaves on (the response channel, after privacy rules and opt-outs).
    public var channel: Channel
    /// The adapter that delivers it (`support-mail`, `twilio-main`).
    public var adapterID: String
    /// Where it goes on that channel: an email address, an E.164 number, a handle.
    public var recipient: String
    public var subject: String?
    public var text: String
    public var html: String?
    /// The agent id, or `auto` for an automatic answer.
    public var author: String
    /// The stored message this answers (its thread headers are carried over on email).
    public var inReplyTo: String?
    /// An automatic answer: `Auto-Submitted: auto-replied` on email, shortened or linked on SMS.
    public var isAutomatic: Bool
    public var metadata: [String: String]

    public init(conversationID: String, channel: Channel, adapterID: String, recipient: String, subject: String? = nil,
                text: String, html: String? = nil, author: String, inReplyTo: String? = nil, isAutomatic: Bool = false,
                metadata: [String: String] = [:]) {
        self.conversationID = conversationID
        self.channel = channel
        self.adapterID = adapterID
        self.recipient = recipient
        self.subject = subject
        self.text = text
        self.html = html
        self.author = author
        self.inReplyTo = inReplyTo
        self.isAutomatic = isAutomatic
        self.metadata = metadata
    }
}

/// Where an outbound message stands, as shown on the message.
public enum DeliveryState: String, Sendable, Hashable, CaseIterable {
    /// Stored, waiting for its first or next attempt.
    case queued
    /// The provider or SMTP server accepted it.
    case sent
    /// The provider confirmed delivery to the handset or mailbox.
    case delivered
    /// The provider reported it undeliverable after accepting it.
    case failed
    /// Refused for good or out of retries: on the dead-letter list for an admin.
    case dead
}
