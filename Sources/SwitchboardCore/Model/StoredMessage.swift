import Foundation

/// A message as the store keeps it: the normalized fields plus the ids the store assigned.
public struct StoredMessage: Sendable, Hashable {
    public var id: String
    public var contactID: String
    public var conversationID: String
    public var direction: Direction
    public var receivedAt: Date
    public var message: InboundMessage

    public init(id: String, contactID: String, conversationID: String, direction: Direction,
                receivedAt: Date, message: InboundMessage) {
        self.id = id
        self.contactID = contactID
        self.conversationID = conversationID
        self.direction = direction
        self.receivedAt = receivedAt
        self.message = message
    }
}

/// One customer across every channel.
public struct Contact: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    public var identities: [Identity]
    public var attributes: [String: String]
    public var createdAt: Date

    public init(id: String, displayName: String?, identities: [Identity], attributes: [String: String], createdAt: Date) {
        self.id = id
        self.displayName = displayName
        self.identities = identities
        self.attributes = attributes
        self.createdAt = createdAt
    }
}

/// What the store answers for an ingest: the message id, and whether it was already there.
public struct IngestOutcome: Sendable, Hashable {
    public var messageID: String
    public var contactID: String
    public var conversationID: String
    /// True when (adapter, external id) was stored before: nothing changed, the original ids are returned.
    public var duplicate: Bool

    public init(messageID: String, contactID: String, conversationID: String, duplicate: Bool) {
        self.messageID = messageID
        self.contactID = contactID
        self.conversationID = conversationID
        self.duplicate = duplicate
    }
}
