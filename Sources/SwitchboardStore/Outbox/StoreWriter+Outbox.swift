import Foundation
import SwitchboardCore

/// The outbox's writes, run by `Store.write` inside the group-commit transaction (each in its own
/// savepoint). Outbound messages are `messages` rows with direction `outbound`; the outbox row
/// beside each one carries its delivery. `messages.delivery_state` mirrors the row's state in the
/// same statement group, and the `outbox_pending` / `outbox_dead` counters move with it.
extension StoreWriter {
    /// Metadata keys the outbox keeps on an outbound message row (the rest is the caller's).
    enum OutboundMetadata {
        static let answers = "answers"            // the stored message this answers
        static let automatic = "automatic"        // "true" for an automatic answer
        static let inReplyTo = "in_reply_to"      // email In-Reply-To (no brackets)
        static let references = "references"      // email References, space-separated
        static let reserved: Set<String> = [answers, automatic, inReplyTo, references]
    }

    func enqueueOutbound(_ request: OutboxRequest) throws(StoreError) -> Result<OutboxEnqueued, OutboxRefusal> {
        let m = request.message
        // The same key in the same conversation: the original, whichever adapter it went to.
        let find = try db.cachedStatement("""
            SELECT m.id, m.contact_id, o.id FROM messages m JOIN outbox o ON o.message_id = m.id
            WHERE m.conversation_id = ?1 AND m.external_id = ?2 AND m.direction = 'outbound' LIMIT 1
            """, purpose: "look up outbound message by idempotency key")
        try find.bind(m.conversationID, at: 1)
        try find.bind(request.idempotencyKey, at: 2)
        if let (messageID, contactID, outboxID) = try find.queryOne({ ($0.string(at: 0) ?? "", $0.string(at: 1) ?? "", $0.string(at: 2) ?? "") }) {
            return .success(OutboxEnqueued(messageID: messageID, outboxID: outboxID, conversationID: m.conversationID,
                                           contactID: contactID, duplicate: true))
        }
        let conversation = try db.cachedStatement(
            "SELECT contact_id FROM conversations WHERE id = ?1", purpose: "load conversation for an outbound message")
        try conversation.bind(m.conversationID, at: 1)
        guard let contactID = try conversation.queryOne({ $0.string(at: 0) }) ?? nil else {
            return .failure(.noConversation(m.conversationID))
        }

        var metadata = m.metadata.filter { !OutboundMetadata.reserved.contains($0.key) }
        if let answers = m.inReplyTo { metadata[OutboundMetadata.answers] = answers }
        if m.isAutomatic { metadata[OutboundMetadata.automatic] = "true" }
        if let inReplyTo = request.emailInReplyTo { metadata[OutboundMetadata.inReplyTo] = inReplyTo }
        if !request.emailReferences.isEmpty { metadata[OutboundMetadata.references] = request.emailReferences.joined(separator: " ") }

        let messageID = SortableID.make("msg", now: batchNow)
        let insert = try db.cachedStatement("""
            INSERT INTO messages (id, adapter_id, external_id, channel, direction, contact_id, conversation_id,
                sender_kind, sender_value, recipient, subject, text, html, metadata, thread_key, received_at, raw,
                delivery_state, author)
            VALUES (?1, ?2, ?3, ?4, 'outbound', ?5, ?6, 'external', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, x'', 'queued', ?7)
            ON CONFLICT (adapter_id, external_id) DO NOTHING
            """, purpose: "insert outbound message")
        try insert.bind(messageID, at: 1)
        try insert.bind(m.adapterID, at: 2)
        try insert.bind(request.idempotencyKey, at: 3)
        try insert.bind(m.channel.rawValue, at: 4)
        try insert.bind(contactID, at: 5)
        try insert.bind(m.conversationID, at: 6)
        try insert.bind(m.author, at: 7)
        try insert.bind(m.recipient, at: 8)
        try insert.bind(m.subject, at: 9)
        try insert.bind(m.text, at: 10)
        try insert.bind(m.html, at: 11)
        try insert.bind(JSONColumn.encode(metadata), at: 12)
        try insert.bind(request.emailMessageID, at: 13)
        try insert.bind(batchMillis, at: 14)
        try insert.run()
        guard db.changes > 0 else { return .failure(.keyInUse(request.idempotencyKey)) }

        let outbox = try db.cachedStatement("""
            INSERT INTO outbox (id, message_id, adapter_id, channel, recipient, state, attempts, next_attempt_at,
                created_at, queued_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6, ?6, ?6)
            """, purpose: "insert outbox row")
        try outbox.bind(request.outboxID, at: 1)
        try outbox.bind(messageID, at: 2)
        try outbox.bind(m.adapterID, at: 3)
        try outbox.bind(m.channel.rawValue, at: 4)
        try outbox.bind(m.recipient, at: 5)
        try outbox.bind(batchMillis, at: 6)
        try outbox.run()

        // The conversation's last activity moves on, but an answer never reopens a resolved
        // conversation, changes its channel, or makes it the contact's "open" one.
        let touch = try db.cachedStatement(
            "UPDATE conversations SET last_message_at = max(last_message_at, ?2) WHERE id = ?1",
            purpose: "touch conversation for an outbound message")
        try touch.bind(m.conversationID, at: 1)
        try touch.bind(batchMillis, at: 2)
        try touch.run()
        var threadKey: WriterCache.ThreadKey?
        if let id = request.emailMessageID, m.channel == .email {
            let key = WriterCache.ThreadKey(channel: .email, key: id)
            try sql.insertThreadKey.bind(key.channel.rawValue, at: 1)
            try sql.insertThreadKey.bind(key.key, at: 2)
            try sql.insertThreadKey.bind(m.conversationID, at: 3)
            try sql.insertThreadKey.run()
            if db.changes > 0 { threadKey = key }
        }
        try addCounter("outbox_pending", 1)

        // Nothing below can fail: the cache and counters only learn of rows that will commit.
        if var state = cache.conversations[m.conversationID] {
            state.lastMessageAt = max(state.lastMessageAt, batchMillis)
            cache.conversations[m.conversationID] = state
        }
        if let threadKey { cache.conversationByKey[threadKey] = m.conversationID }
        counterDeltas.messages += 1
        return .success(OutboxEnqueued(messageID: messageID, outboxID: request.outboxID, conversationID: m.conversationID,
                                       contactID: contactID, duplicate: false))
    }

    /// Records an attempt; answers the row's state after it, or nil when the attempt no longer
    /// applies (re-queued or dead-lettered meanwhile: nothing changes). A row that a receipt
    /// settled while the send was in flight keeps that state; a `sent` with a provider id picks
    /// up a receipt for that id that arrived first (`outbox_early_receipts`).
    func recordAttempt(outboxID: String, result: OutboxAttemptResult) throws(StoreError) -> OutboxState? {
        guard let row = try outboxRow(id: outboxID), let state = row.state.afterAttempt(result) else { return nil }
        var nextAt = batchMillis
        var error: String?
        var providerID: String?
        switch result {
        case .sent(let id): providerID = id
        case .retry(let at, let reason): (nextAt, error) = (at.storeMilliseconds, reason)
        case .dead(let reason): error = reason
        }
        if state == row.state && state != .pending { error = row.lastError }   // settled by a receipt: its detail stays
        let update = try db.cachedStatement("""
            UPDATE outbox SET state = ?2, attempts = attempts + 1, next_attempt_at = ?3, last_error = ?4,
                provider_id = coalesce(?5, provider_id), updated_at = ?6
            WHERE id = ?1
            """, purpose: "record outbox attempt")
        try update.bind(outboxID, at: 1)
        try update.bind(state.rawValue, at: 2)
        try update.bind(nextAt, at: 3)
        try update.bind(error, at: 4)
        try update.bind(providerID, at: 5)
        try update.bind(batchMillis, at: 6)
        try update.run()
        guard state != row.state else { return state }
        try setDeliveryState(outboxID: outboxID, state)
        try addCounter("outbox_pending", -1)
        if state == .dead { try addCounter("outbox_dead", 1) }
        if state == .sent, let providerID, let early = try takeEarlyReceipt(adapterID: row.adapterID, providerID: providerID),
           let settled = state.afterReceipt(early.outcome) {
            try settle(outboxID: outboxID, from: state, to: settled, providerID: nil, detail: early.detail)
            return settled
        }
        return state
    }

    /// Applies a delivery receipt to the row it names (by the echoed outbox id, else by the
    /// provider's id). When no row has that provider id yet, the receipt is kept until one does
    /// (`recordAttempt`).
    func applyReceipt(_ receipt: OutboxReceipt) throws(StoreError) -> OutboxReceiptResult {
        var row: OutboxRow?
        if let outboxID = receipt.outboxID, let found = try outboxRow(id: outboxID), found.adapterID == receipt.adapterID {
            row = found
        }
        if row == nil, let providerID = receipt.providerID {
            let find = try db.cachedStatement("SELECT id FROM outbox WHERE provider_id = ?1 AND adapter_id = ?2",
                                              purpose: "find outbox row by provider id")
            try find.bind(providerID, at: 1)
            try find.bind(receipt.adapterID, at: 2)
            if let id = try find.queryOne({ $0.string(at: 0) }) ?? nil { row = try outboxRow(id: id) }
        }
        guard let row else {
            guard let providerID = receipt.providerID, !providerID.isEmpty else { return .ignored }
            return .parked(dropped: try parkEarlyReceipt(receipt, providerID: providerID))
        }
        guard let state = row.state.afterReceipt(receipt.outcome) else { return .ignored }
        try settle(outboxID: row.id, from: row.state, to: state, providerID: receipt.providerID, detail: receipt.detail)
        return .applied(outboxID: row.id)
    }

    /// What the outbox's writes need to know of a row before changing it.
    struct OutboxRow {
        var id: String
        var adapterID: String
        var state: OutboxState
        var lastError: String?
    }

    private func outboxRow(id: String) throws(StoreError) -> OutboxRow? {
        let find = try db.cachedStatement("SELECT adapter_id, state, last_error FROM outbox WHERE id = ?1",
                                          purpose: "read outbox row state")
        try find.bind(id, at: 1)
        guard let (adapterID, stateText, lastError) = try find.queryOne({ ($0.string(at: 0) ?? "", $0.string(at: 1), $0.string(at: 2)) })
        else { return nil }
        guard let state = stateText.flatMap(OutboxState.init(rawValue:)) else {
            throw .unknownValue("outbox.state", stateText, reading: "outbox row \(id)")
        }
        return OutboxRow(id: id, adapterID: adapterID, state: state, lastError: lastError)
    }

    /// Moves a row to the state a receipt gave it: a failure keeps the provider's status and code,
    /// a delivery clears what an earlier attempt left (a retry's 503).
    private func settle(outboxID: String, from current: OutboxState, to state: OutboxState, providerID: String?,
                        detail: String?) throws(StoreError) {
        let update = try db.cachedStatement("""
            UPDATE outbox SET state = ?2, provider_id = coalesce(provider_id, ?3),
                last_error = CASE ?2 WHEN 'delivered' THEN NULL ELSE coalesce(?4, last_error) END, updated_at = ?5
            WHERE id = ?1
            """, purpose: "apply delivery receipt")
        try update.bind(outboxID, at: 1)
        try update.bind(state.rawValue, at: 2)
        try update.bind(providerID, at: 3)
        try update.bind(state == .failed ? detail : nil, at: 4)
        try update.bind(batchMillis, at: 5)
        try update.run()
        try setDeliveryState(outboxID: outboxID, state)
        if current == .pending { try addCounter("outbox_pending", -1) }
    }

    // MARK: Early receipts

    /// Keeps a receipt for a provider id no row has yet; a receipt already kept for that id
    /// stays (the first final answer stands). Drops what is older than the age bound, then the
    /// oldest beyond the count bound; answers how many were dropped.
    private func parkEarlyReceipt(_ receipt: OutboxReceipt, providerID: String) throws(StoreError) -> Int {
        let expire = try db.cachedStatement("DELETE FROM outbox_early_receipts WHERE parked_at < ?1",
                                            purpose: "expire early delivery receipts")
        try expire.bind(earlyReceiptCutoff, at: 1)
        try expire.run()
        var dropped = db.changes
        let insert = try db.cachedStatement("""
            INSERT INTO outbox_early_receipts (adapter_id, provider_id, outcome, detail, parked_at) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (adapter_id, provider_id) DO NOTHING
            """, purpose: "keep an early delivery receipt")
        try insert.bind(receipt.adapterID, at: 1)
        try insert.bind(providerID, at: 2)
        try insert.bind(receipt.outcome.rawValue, at: 3)
        try insert.bind(receipt.detail, at: 4)
        try insert.bind(batchMillis, at: 5)
        try insert.run()
        let trim = try db.cachedStatement("""
            DELETE FROM outbox_early_receipts
            WHERE rowid <= (SELECT rowid FROM outbox_early_receipts ORDER BY rowid DESC LIMIT 1 OFFSET ?1)
            """, purpose: "bound early delivery receipts")
        try trim.bind(max(1, options.earlyReceiptLimit), at: 1)
        try trim.run()
        dropped += db.changes
        return dropped
    }

    /// Removes and answers the receipt kept for a recorded provider id (any part of a
    /// comma-separated multi-part id; the earliest kept wins), nil when there is none in time.
    private func takeEarlyReceipt(adapterID: String, providerID: String) throws(StoreError)
        -> (outcome: OutboxReceipt.Outcome, detail: String?)? {
        let find = try db.cachedStatement("""
            SELECT rowid, outcome, detail FROM outbox_early_receipts WHERE adapter_id = ?1 AND provider_id = ?2 AND parked_at >= ?3
            """, purpose: "find an early delivery receipt")
        let remove = try db.cachedStatement("DELETE FROM outbox_early_receipts WHERE adapter_id = ?1 AND provider_id = ?2",
                                            purpose: "remove an early delivery receipt")
        var earliest: (rowID: Int64, outcome: OutboxReceipt.Outcome, detail: String?)?
        for part in providerID.split(separator: ",") where !part.isEmpty {
            try find.bind(adapterID, at: 1)
            try find.bind(String(part), at: 2)
            try find.bind(earlyReceiptCutoff, at: 3)
            if let (rowID, outcomeText, detail) = try find.queryOne({ ($0.int64(at: 0) ?? 0, $0.string(at: 1), $0.string(at: 2)) }),
               let outcome = outcomeText.flatMap(OutboxReceipt.Outcome.init(rawValue:)), rowID < (earliest?.rowID ?? .max) {
                earliest = (rowID, outcome, detail)
            }
            try remove.bind(adapterID, at: 1)
            try remove.bind(String(part), at: 2)
            try remove.run()
        }
        return earliest.map { ($0.outcome, $0.detail) }
    }

    private var earlyReceiptCutoff: Int64 { batchMillis - Int64((options.earlyReceiptMaxAge * 1000).rounded()) }

    /// Puts a dead (or failed) row back in the queue with a fresh attempt budget; false when the
    /// row does not exist or is not dead or failed.
    func requeue(outboxID: String) throws(StoreError) -> Bool {
        guard let current = try outboxRow(id: outboxID)?.state, current == .dead || current == .failed else { return false }
        let update = try db.cachedStatement("""
            UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2, queued_at = ?2, updated_at = ?2
            WHERE id = ?1
            """, purpose: "re-queue outbox row")
        try update.bind(outboxID, at: 1)
        try update.bind(batchMillis, at: 2)
        try update.run()
        try setDeliveryState(outboxID: outboxID, .pending)
        try addCounter("outbox_pending", 1)
        if current == .dead { try addCounter("outbox_dead", -1) }
        return true
    }

    /// Records where something has got to (an adapter's poll, the automatic answers' replay).
    func upsertCheckpoint(adapterID: String, key: String, value: String) throws(StoreError) {
        let s = sql.upsertCheckpoint
        try s.bind(adapterID, at: 1)
        try s.bind(key, at: 2)
        try s.bind(value, at: 3)
        try s.bind(batchMillis, at: 4)
        try s.run()
    }

    private func setDeliveryState(outboxID: String, _ state: OutboxState) throws(StoreError) {
        let s = try db.cachedStatement(
            "UPDATE messages SET delivery_state = ?2 WHERE id = (SELECT message_id FROM outbox WHERE id = ?1)",
            purpose: "mirror delivery state on the message")
        try s.bind(outboxID, at: 1)
        try s.bind(state.deliveryState.rawValue, at: 2)
        try s.run()
    }

    private func addCounter(_ name: String, _ delta: Int) throws(StoreError) {
        try sql.addToCounter.bind(name, at: 1)
        try sql.addToCounter.bind(delta, at: 2)
        try sql.addToCounter.run()
    }
}
