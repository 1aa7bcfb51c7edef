import Foundation
import SwitchboardCore

/// What to enqueue: the message, the key that makes a repeated enqueue return the original
/// (`auto:<inbound message id>`, `reply:<conversation>:<client key>`), and the ids chosen
/// before the write so that an email's Message-ID can be derived from the outbox id.
public struct OutboxRequest: Sendable, Hashable {
    public var message: OutboundMessage
    /// Stored as the message's `external_id`: unique per conversation.
    public var idempotencyKey: String
    /// The outbox row's id (`ob_…`), made by the caller with `OutboxRequest.newOutboxID()`.
    public var outboxID: String
    /// For email: the Message-ID this answer will carry (no brackets). Kept as the message's thread
    /// key and recorded as a conversation key, so that the customer's answer threads back here.
    public var emailMessageID: String?
    /// For email: the Message-ID answered and the References chain (no brackets, oldest first).
    public var emailInReplyTo: String?
    public var emailReferences: [String]

    public init(message: OutboundMessage, idempotencyKey: String, outboxID: String = OutboxRequest.newOutboxID(),
                emailMessageID: String? = nil, emailInReplyTo: String? = nil, emailReferences: [String] = []) {
        self.message = message
        self.idempotencyKey = idempotencyKey
        self.outboxID = outboxID
        self.emailMessageID = emailMessageID
        self.emailInReplyTo = emailInReplyTo
        self.emailReferences = emailReferences
    }

    public static func newOutboxID(now: Date = Date()) -> String { SortableID.make("ob", now: now) }
}

/// The answer to an enqueue: the stored ids, and whether the key was already there (then
/// nothing was written and the original's ids are returned).
public struct OutboxEnqueued: Sendable, Hashable {
    public var messageID: String
    public var outboxID: String
    public var conversationID: String
    public var contactID: String
    public var duplicate: Bool
}

/// Why an enqueue wrote nothing.
public enum OutboxRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    case noConversation(String)
    /// The idempotency key is already used by another adapter's message in another conversation.
    case keyInUse(String)

    public var description: String {
        switch self {
        case .noConversation(let id): "no conversation \(id)"
        case .keyInUse(let key): "the idempotency key \(key) is already used"
        }
    }
}

/// One outbox row with the outbound message it delivers: what the worker sends, what admins list.
public struct OutboxEntry: Sendable, Hashable {
    public var id: String
    public var messageID: String
    public var contactID: String
    public var adapterID: String
    public var channel: Channel
    public var recipient: String
    public var state: OutboxState
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var providerID: String?
    /// When the row was made: an email's Date header (the same on every attempt).
    public var createdAt: Date
    /// When it last entered the queue (made, or re-queued by an admin): max_age counts from here.
    public var queuedAt: Date
    public var updatedAt: Date
    public var message: OutboundMessage
    /// For email: Message-ID, In-Reply-To and References as stored at enqueue (no brackets).
    public var emailMessageID: String?
    public var emailInReplyTo: String?
    public var emailReferences: [String]
}

/// What one attempt came to, as the worker records it.
public enum OutboxAttemptResult: Sendable, Hashable {
    case sent(providerID: String?)
    /// Still pending: the next attempt at `nextAttemptAt`, with the far side's answer.
    case retry(nextAttemptAt: Date, error: String)
    /// Refused for good or out of retries: the dead-letter list, with the far side's answer.
    case dead(error: String)
}

/// A provider's delivery receipt, as the store applies it.
public struct OutboxReceipt: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable { case delivered, failed }
    public var adapterID: String
    /// The provider's message id (Twilio MessageSid, Vonage message-id).
    public var providerID: String?
    /// The outbox id when the provider echoes it (Vonage `client-ref`).
    public var outboxID: String?
    public var outcome: Outcome
    /// The provider's status and error code, kept as the row's last error when it failed.
    public var detail: String?

    public init(adapterID: String, providerID: String?, outboxID: String? = nil, outcome: Outcome, detail: String? = nil) {
        self.adapterID = adapterID
        self.providerID = providerID
        self.outboxID = outboxID
        self.outcome = outcome
        self.detail = detail
    }
}

/// What a delivery receipt came to in the store.
public enum OutboxReceiptResult: Sendable, Hashable {
    /// The row it names changed state.
    case applied(outboxID: String)
    /// No row has the provider's id yet: the send's acceptance is not recorded (the provider
    /// called back before answering our request, or before we committed its answer). The receipt
    /// is kept (`outbox_early_receipts`, bounded by `StoreOptions.earlyReceiptLimit` and
    /// `earlyReceiptMaxAge`) and applied when the row records that id. `dropped`: the oldest kept
    /// receipts removed to stay within those bounds by this write.
    case parked(dropped: Int)
    /// Nothing to do: the row is already settled, or the receipt names nothing usable.
    case ignored
}

/// Counts for status and metrics, from the counters table (no scan).
public struct OutboxCounts: Sendable, Hashable {
    public var pending: Int
    public var dead: Int
}
