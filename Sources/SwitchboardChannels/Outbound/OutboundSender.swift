import Foundation
import SwitchboardCore

/// One delivery attempt of an outbox row, as the outbox worker hands it to a channel's sender.
/// Everything a sender needs to produce the same bytes on every attempt (so that a retry after a
/// crash is indistinguishable from the first send: same email Message-ID, same Date).
public struct OutboundItem: Sendable, Hashable {
    public var outboxID: String
    public var messageID: String
    public var message: OutboundMessage
    /// When the row was created: an email's Date header.
    public var createdAt: Date
    /// 1 for the first attempt.
    public var attempt: Int
    /// For email: the Message-ID, In-Reply-To and References the reply must carry.
    public var threading: Threading

    public struct Threading: Sendable, Hashable {
        public var messageID: String?
        public var inReplyTo: String?
        public var references: [String]
        public init(messageID: String? = nil, inReplyTo: String? = nil, references: [String] = []) {
            self.messageID = messageID
            self.inReplyTo = inReplyTo
            self.references = references
        }
    }

    public init(outboxID: String, messageID: String, message: OutboundMessage, createdAt: Date, attempt: Int,
                threading: Threading = Threading()) {
        self.outboxID = outboxID
        self.messageID = messageID
        self.message = message
        self.createdAt = createdAt
        self.attempt = attempt
        self.threading = threading
    }
}

/// What one attempt came to, as Vector's and Telegraf's outputs answer: accepted, try again
/// later, or never.
public enum SendOutcome: Sendable, Hashable {
    /// Accepted by the far side; `providerID` is its id for delivery-status callbacks.
    case sent(providerID: String?)
    /// A temporary failure (4xx from SMTP, 429/5xx from an API, a dropped connection); `after`
    /// is the far side's Retry-After when it gave one.
    case retry(after: Duration?, reason: String)
    /// A permanent refusal (5xx from SMTP, 4xx from an API): dead-lettered with `reason`.
    case rejected(reason: String)
}

/// A channel adapter that can deliver outbound messages. Calls block (libcurl); the outbox worker
/// runs them on its own threads, never on an event loop or the Swift concurrency pool.
public protocol OutboundSender: Sendable {
    /// The channel this sender delivers on.
    var outboundChannel: Channel { get }
    func send(_ item: OutboundItem) -> SendOutcome
    func messageID(forOutboxID outboxID: String) -> String?
}

extension OutboundSender {
    /// The Message-ID (no brackets) an email sender gives the row `outboxID`, so that the store can
    /// record it as a thread key before the first attempt; nil for channels without one.
    public func messageID(forOutboxID outboxID: String) -> String? { nil }
}
