import Foundation
import SwitchboardCore

/// Where an outbox row stands. `pending` rows are waiting for their first or next attempt; the
/// others are final for the worker (`sent` may still become `delivered` or `failed` through a
/// provider's delivery receipt; `dead` waits for an admin's re-queue).
///
/// The worker's record of an attempt and the provider's receipts race each other (a Twilio
/// status callback can arrive before the send's own answer is recorded), so every change goes
/// through `afterAttempt` and `afterReceipt`: a row only moves forward (`progress`), and a
/// receipt's final answer is never replaced by the earlier news that the message was sent.
public enum OutboxState: String, Sendable, Hashable, CaseIterable {
    case pending, sent, delivered, failed, dead

    /// The state shown on the message (`messages.delivery_state`).
    public var deliveryState: DeliveryState {
        switch self {
        case .pending: .queued
        case .sent: .sent
        case .delivered: .delivered
        case .failed: .failed
        case .dead: .dead
        }
    }

    /// How far delivery has got: waiting (0), accepted by the far side (1), settled by the far
    /// side's receipt or given up (2). Automatic changes never lower it; only an admin's re-queue
    /// starts a row again.
    public var progress: Int {
        switch self {
        case .pending: 0
        case .sent: 1
        case .delivered, .failed, .dead: 2
        }
    }

    /// The state a recorded attempt leaves the row in, or nil when the attempt no longer applies
    /// (the row was re-queued, dead-lettered or settled meanwhile: nothing changes). A row that a
    /// receipt settled while its send was in flight keeps the receipt's state when the send's
    /// acceptance is recorded: the receipt is the later news.
    public func afterAttempt(_ result: OutboxAttemptResult) -> OutboxState? {
        switch (self, result) {
        case (.pending, .sent): .sent
        case (.pending, .retry): .pending
        case (.pending, .dead): .dead
        case (.delivered, .sent), (.failed, .sent): self
        default: nil
        }
    }

    /// The state a delivery receipt leaves the row in, or nil when it changes nothing. A pending
    /// row counts (the provider accepted it before we could record that: the receipt saves a
    /// second send); a settled or dead row keeps its state: receipts repeat and arrive out of
    /// order, and the first final answer stands.
    public func afterReceipt(_ outcome: OutboxReceipt.Outcome) -> OutboxState? {
        switch self {
        case .pending, .sent: outcome == .delivered ? .delivered : .failed
        case .delivered, .failed, .dead: nil
        }
    }
}
