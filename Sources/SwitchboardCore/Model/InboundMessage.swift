import Foundation

/// A message as an adapter hands it over, normalized but not yet stored. Every channel produces
/// this same shape; the store gives it an id, a contact and a conversation.
public struct InboundMessage: Sendable, Hashable {
    public var channel: Channel
    /// The adapter instance id from adapters.json (`"support-mailbox"`).
    public var adapterID: String
    /// The dedupe key within the adapter: IMAP UIDVALIDITY:UID, Twilio MessageSid, a client id.
    /// A second message with the same (adapterID, externalID) is a duplicate.
    public var externalID: String
    public var sender: Identity
    public var senderName: String?
    /// The address, number or handle the customer wrote to.
    public var recipient: String?
    public var subject: String?
    public var text: String
    public var html: String?
    public var attachments: [Attachment]
    /// When the customer sent it, by the source's clock, if the source says.
    public var sentAt: Date?
    /// A channel's hint for threading: an email thread root, a chat session, a social status id.
    /// Messages with the same (channel, threadKey) share a conversation.
    public var threadKey: String?
    /// Further thread keys this message refers to (email References / In-Reply-To).
    public var replyTo: [String]
    /// Contact attributes the source knows (tier, language, account number): merged into the contact.
    public var contactAttributes: [String: String]
    /// Source-specific facts worth keeping (headers, provider fields), never secrets.
    public var metadata: [String: String]
    /// The raw source bytes exactly as received.
    public var raw: [UInt8]
    /// Classification and routing, decided before the message is stored (nil when no decision
    /// was made, e.g. for messages stored by a tool that does not classify).
    public var decision: MessageDecision?

    public init(channel: Channel, adapterID: String, externalID: String, sender: Identity,
                senderName: String? = nil, recipient: String? = nil, subject: String? = nil,
                text: String, html: String? = nil, attachments: [Attachment] = [], sentAt: Date? = nil,
                threadKey: String? = nil, replyTo: [String] = [], contactAttributes: [String: String] = [:],
                metadata: [String: String] = [:], raw: [UInt8] = [], decision: MessageDecision? = nil) {
        self.channel = channel
        self.adapterID = adapterID
        self.externalID = externalID
        self.sender = sender
        self.senderName = senderName
        self.recipient = recipient
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.sentAt = sentAt
        self.threadKey = threadKey
        self.replyTo = replyTo
        self.contactAttributes = contactAttributes
        self.metadata = metadata
        self.raw = raw
        self.decision = decision
    }
}
