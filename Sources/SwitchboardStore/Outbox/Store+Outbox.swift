import Foundation
import SwitchboardCore

/// The outbox: every message Switchboard sends is a stored row first (DESIGN §5). Writes go
/// through the writer's group commit and answer after COMMIT; reads see the last commit.
extension Store {
    // MARK: Writes

    /// Stores each outbound message and its pending outbox row in the next group commit, one
    /// savepoint each; a key already used in the conversation answers the original
    /// (`duplicate == true`). With `checkpoint`, that checkpoint is written in the same
    /// transaction (the automatic answers' replay position), so "answered" and "handled up to
    /// here" can never disagree after a crash.
    public func enqueueOutbound(_ requests: [OutboxRequest], checkpoint: (adapterID: String, key: String, value: String)? = nil,
                                completion: @escaping @Sendable (Result<[Result<OutboxEnqueued, OutboxRefusal>], StoreError>) -> Void) {
        write({ writer throws(StoreError) in
            var results: [Result<OutboxEnqueued, OutboxRefusal>] = []
            for request in requests { results.append(try writer.enqueueOutbound(request)) }
            if let checkpoint { try writer.upsertCheckpoint(adapterID: checkpoint.adapterID, key: checkpoint.key, value: checkpoint.value) }
            return results
        }, completion: completion)
    }

    public func enqueueOutbound(_ request: OutboxRequest) async throws(StoreError) -> Result<OutboxEnqueued, OutboxRefusal> {
        let result: Result<[Result<OutboxEnqueued, OutboxRefusal>], StoreError> = await withCheckedContinuation { continuation in
            enqueueOutbound([request]) { continuation.resume(returning: $0) }
        }
        return try result.get()[0]
    }

    /// Records what an attempt came to; answers the row's state after it (a `sent` may come back
    /// `delivered` or `failed` when the provider's receipt arrived first), nil when the row was no
    /// longer pending.
    public func recordOutboxAttempt(id: String, result: OutboxAttemptResult,
                                    completion: @escaping @Sendable (Result<OutboxState?, StoreError>) -> Void) {
        write({ writer throws(StoreError) in try writer.recordAttempt(outboxID: id, result: result) }, completion: completion)
    }

    public func recordOutboxAttempt(id: String, result: OutboxAttemptResult) async throws(StoreError) -> OutboxState? {
        try await write { writer throws(StoreError) in try writer.recordAttempt(outboxID: id, result: result) }
    }

    /// Applies a delivery receipt: to the row it names, or kept until the row records the
    /// provider's id (receipts can overtake the send's answer), or ignored (already final:
    /// receipts repeat and arrive out of order).
    public func applyOutboxReceipt(_ receipt: OutboxReceipt) async throws(StoreError) -> OutboxReceiptResult {
        try await write { writer throws(StoreError) in try writer.applyReceipt(receipt) }
    }

    public func applyOutboxReceipt(_ receipt: OutboxReceipt, completion: @escaping @Sendable (Result<OutboxReceiptResult, StoreError>) -> Void) {
        write({ writer throws(StoreError) in try writer.applyReceipt(receipt) }, completion: completion)
    }

    /// Puts a dead (or failed) row back in the queue; false when there is no such row in those states.
    public func requeueOutbox(id: String) async throws(StoreError) -> Bool {
        try await write { writer throws(StoreError) in try writer.requeue(outboxID: id) }
    }

    // MARK: Reads

    static let outboxColumns = """
        o.id, o.message_id, m.contact_id, o.adapter_id, o.channel, o.recipient, o.state, o.attempts, o.next_attempt_at, \
        o.last_error, o.provider_id, o.created_at, o.queued_at, o.updated_at, m.conversation_id, m.subject, m.text, \
        m.html, m.author, m.metadata, m.thread_key
        """

    /// Pending rows whose time has come, oldest due first.
    public func dueOutbox(now: Date, limit: Int = 100) throws(StoreError) -> [OutboxEntry] {
        try outboxQuery("read due outbox rows", """
            SELECT \(Self.outboxColumns) FROM outbox o JOIN messages m ON m.id = o.message_id
            WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 ORDER BY o.next_attempt_at, o.id LIMIT ?2
            """) { s throws(StoreError) in
            try s.bind(now.storeMilliseconds, at: 1)
            try s.bind(limit, at: 2)
        }
    }

    /// When the earliest pending row due after `after` is due (nil when there is none).
    public func nextOutboxDue(after: Date) throws(StoreError) -> Date? {
        try readers.withConnection("read next outbox due time") { db throws(StoreError) in
            let s = try db.cachedStatement("SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending' AND next_attempt_at > ?1",
                                           purpose: "read next outbox due time")
            try s.bind(after.storeMilliseconds, at: 1)
            return try s.queryOne { $0.int64(at: 0) }?.map(Date.init(storeMilliseconds:))
        }
    }

    public func outboxEntry(id: String) throws(StoreError) -> OutboxEntry? {
        try outboxQuery("read outbox row", """
            SELECT \(Self.outboxColumns) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.id = ?1
            """) { s throws(StoreError) in try s.bind(id, at: 1) }.first
    }

    /// The outbox row delivering a stored outbound message.
    public func outboxEntry(messageID: String) throws(StoreError) -> OutboxEntry? {
        try outboxQuery("read message's outbox row", """
            SELECT \(Self.outboxColumns) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.message_id = ?1
            """) { s throws(StoreError) in try s.bind(messageID, at: 1) }.first
    }

    /// Rows in `state` (every state when nil), newest first, for admins.
    public func outboxEntries(state: OutboxState?, limit: Int = 100) throws(StoreError) -> [OutboxEntry] {
        if let state {
            return try outboxQuery("list outbox rows", """
                SELECT \(Self.outboxColumns) FROM outbox o JOIN messages m ON m.id = o.message_id
                WHERE o.state = ?1 ORDER BY o.id DESC LIMIT ?2
                """) { s throws(StoreError) in
                try s.bind(state.rawValue, at: 1)
                try s.bind(limit, at: 2)
            }
        }
        return try outboxQuery("list outbox rows", """
            SELECT \(Self.outboxColumns) FROM outbox o JOIN messages m ON m.id = o.message_id ORDER BY o.id DESC LIMIT ?1
            """) { s throws(StoreError) in try s.bind(limit, at: 1) }
    }

    public func outboxCounts() throws(StoreError) -> OutboxCounts {
        try readers.withConnection("read outbox counters") { db throws(StoreError) in
            let s = try db.cachedStatement(
                "SELECT name, value FROM counters WHERE name IN ('outbox_pending', 'outbox_dead')", purpose: "read outbox counters")
            var counts = OutboxCounts(pending: 0, dead: 0)
            for (name, value) in try s.queryAll({ ($0.string(at: 0) ?? "", Int($0.int64(at: 1) ?? 0)) }) {
                if name == "outbox_pending" { counts.pending = value } else { counts.dead = value }
            }
            return counts
        }
    }

    /// Delivery receipts kept until their send's provider id is recorded (for status and metrics).
    public func earlyReceiptCount() throws(StoreError) -> Int {
        try readers.withConnection("count early delivery receipts") { db throws(StoreError) in
            let s = try db.cachedStatement("SELECT count(*) FROM outbox_early_receipts", purpose: "count early delivery receipts")
            return Int(try s.queryOne { $0.int64(at: 0) ?? 0 } ?? 0)
        }
    }

    /// Inbound messages stored after `rowID`, in commit order, with their rowids: what the
    /// automatic answers replay after a restart.
    public func inboundMessages(afterRowID rowID: Int64, limit: Int = 500) throws(StoreError) -> [(rowID: Int64, message: StoredMessage)] {
        try readers.withConnection("read messages after a rowid") { db throws(StoreError) in
            let s = try db.cachedStatement("""
                SELECT \(StoredMessage.columns), rowid FROM messages WHERE rowid > ?1 AND direction = 'inbound' ORDER BY rowid LIMIT ?2
                """, purpose: "read messages after a rowid")
            try s.bind(rowID, at: 1)
            try s.bind(limit, at: 2)
            return try s.queryAll { row throws(StoreError) in
                (row.int64(at: 27) ?? 0, try StoredMessage(row: row))
            }
        }
    }

    /// The highest message rowid stored (0 for an empty store).
    public func lastMessageRowID() throws(StoreError) -> Int64 {
        try readers.withConnection("read last message rowid") { db throws(StoreError) in
            let s = try db.cachedStatement("SELECT coalesce(max(rowid), 0) FROM messages", purpose: "read last message rowid")
            return try s.queryOne { $0.int64(at: 0) ?? 0 } ?? 0
        }
    }

    private func outboxQuery(_ purpose: String, _ sql: String,
                             bind: (Statement) throws(StoreError) -> Void) throws(StoreError) -> [OutboxEntry] {
        try readers.withConnection(purpose) { db throws(StoreError) in
            let s = try db.cachedStatement(sql, purpose: purpose)
            try bind(s)
            return try s.queryAll { row throws(StoreError) in try OutboxEntry(row: row) }
        }
    }
}

extension OutboxEntry {
    init(row: Statement) throws(StoreError) {
        let id = row.string(at: 0) ?? ""
        func corrupt(_ column: String, _ value: String?) -> StoreError { .unknownValue(column, value, reading: "outbox row \(id)") }
        guard let channel = Channel(rawValue: row.string(at: 4) ?? "") else { throw corrupt("outbox.channel", row.string(at: 4)) }
        guard let state = OutboxState(rawValue: row.string(at: 6) ?? "") else { throw corrupt("outbox.state", row.string(at: 6)) }
        var metadata = try JSONColumn.decodeObject(row.string(at: 19) ?? "{}", column: "messages.metadata")
        typealias Keys = StoreWriter.OutboundMetadata
        let answers = metadata[Keys.answers]
        let automatic = metadata[Keys.automatic] == "true"
        let inReplyTo = metadata[Keys.inReplyTo]
        let references = metadata[Keys.references].map { $0.split(separator: " ").map(String.init) } ?? []
        for key in Keys.reserved { metadata.removeValue(forKey: key) }
        let adapterID = row.string(at: 3) ?? ""
        let recipient = row.string(at: 5) ?? ""
        let message = OutboundMessage(conversationID: row.string(at: 14) ?? "", channel: channel, adapterID: adapterID,
                                      recipient: recipient, subject: row.string(at: 15), text: row.string(at: 16) ?? "",
                                      html: row.string(at: 17), author: row.string(at: 18) ?? "", inReplyTo: answers,
                                      isAutomatic: automatic, metadata: metadata)
        self.init(id: id, messageID: row.string(at: 1) ?? "", contactID: row.string(at: 2) ?? "", adapterID: adapterID,
                  channel: channel, recipient: recipient, state: state, attempts: Int(row.int64(at: 7) ?? 0),
                  nextAttemptAt: Date(storeMilliseconds: row.int64(at: 8) ?? 0), lastError: row.string(at: 9),
                  providerID: row.string(at: 10), createdAt: Date(storeMilliseconds: row.int64(at: 11) ?? 0),
                  queuedAt: Date(storeMilliseconds: row.int64(at: 12) ?? 0),
                  updatedAt: Date(storeMilliseconds: row.int64(at: 13) ?? 0), message: message,
                  emailMessageID: row.string(at: 20), emailInReplyTo: inReplyTo, emailReferences: references)
    }
}
