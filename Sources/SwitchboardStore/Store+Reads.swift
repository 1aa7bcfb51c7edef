import Dispatch
import Foundation
import SwitchboardCore

/// Reads: each runs on a pooled read-only connection on the calling thread and sees the last
/// committed state.
extension Store {
    private static let readQueue = DispatchQueue(label: "switchboard.store.reads", attributes: .concurrent)

    /// Runs blocking reads on a Dispatch queue so that async callers (HTTP handlers) never block a
    /// Swift concurrency thread on SQLite: `try await store.read { try $0.message(id: id) }`.
    public func read<T: Sendable, E: Error>(_ body: @escaping @Sendable (Store) throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            Store.readQueue.async {
                continuation.resume(returning: Result { () throws(E) -> T in try body(self) })
            }
        }
        return try result.get()
    }

    public func message(id: String) throws(StoreError) -> StoredMessage? {
        try readers.withConnection("read message") { db throws(StoreError) in
            let s = try db.cachedStatement("SELECT \(StoredMessage.columns) FROM messages WHERE id = ?1", purpose: "read message")
            try s.bind(id, at: 1)
            return try s.queryOne { row throws(StoreError) in try StoredMessage(row: row) }
        }
    }

    /// The contact's newest messages first, across every channel.
    public func recentMessages(contactID: String, limit: Int = 50) throws(StoreError) -> [StoredMessage] {
        try readers.withConnection("read contact's messages") { db throws(StoreError) in
            let s = try db.cachedStatement(
                """
                SELECT \(StoredMessage.columns) FROM messages
                WHERE conversation_id IN (SELECT id FROM conversations WHERE contact_id = ?1)
                ORDER BY id DESC LIMIT ?2
                """,
                purpose: "read contact's recent messages")
            try s.bind(contactID, at: 1)
            try s.bind(limit, at: 2)
            return try s.queryAll { row throws(StoreError) in try StoredMessage(row: row) }
        }
    }

    /// A conversation's messages in arrival order (oldest first).
    public func messages(conversationID: String, limit: Int = 10_000) throws(StoreError) -> [StoredMessage] {
        try readers.withConnection("read conversation") { db throws(StoreError) in
            let s = try db.cachedStatement(
                "SELECT \(StoredMessage.columns) FROM messages WHERE conversation_id = ?1 ORDER BY id LIMIT ?2",
                purpose: "read conversation's messages")
            try s.bind(conversationID, at: 1)
            try s.bind(limit, at: 2)
            return try s.queryAll { row throws(StoreError) in try StoredMessage(row: row) }
        }
    }

    /// The contact with every identity it owns (sorted by kind, then value).
    public func contact(id: String) throws(StoreError) -> Contact? {
        try readers.withConnection("read contact") { db throws(StoreError) in
            try db.transaction("read contact") { () throws(StoreError) -> Contact? in
                let s = try db.cachedStatement(
                    "SELECT display_name, attributes, created_at FROM contacts WHERE id = ?1", purpose: "read contact")
                try s.bind(id, at: 1)
                guard let row = try s.queryOne({ ($0.string(at: 0), $0.string(at: 1) ?? "{}", $0.int64(at: 2) ?? 0) }) else {
                    return nil
                }
                let i = try db.cachedStatement(
                    "SELECT kind, value FROM identities WHERE contact_id = ?1 ORDER BY kind, value",
                    purpose: "read contact's identities")
                try i.bind(id, at: 1)
                let identities = try i.queryAll { row in
                    (row.string(at: 0).flatMap(Identity.Kind.init(rawValue:)), row.string(at: 1) ?? "")
                }.compactMap { kind, value in kind.map { Identity(kind: $0, value: value) } }
                return Contact(id: id, displayName: row.0, identities: identities,
                               attributes: try JSONColumn.decodeObject(row.1, column: "contacts.attributes"),
                               createdAt: Date(storeMilliseconds: row.2))
            }
        }
    }

    /// Quarantined input, newest first.
    public func quarantined(limit: Int = 100) throws(StoreError) -> [QuarantinedItem] {
        try readers.withConnection("read quarantine") { db throws(StoreError) in
            let s = try db.cachedStatement("""
                SELECT id, adapter_id, received_at, error_code, error_message, raw FROM quarantine ORDER BY id DESC LIMIT ?1
                """, purpose: "read quarantine")
            try s.bind(limit, at: 1)
            return try s.queryAll { row in
                QuarantinedItem(id: row.string(at: 0) ?? "", adapterID: row.string(at: 1) ?? "",
                                receivedAt: Date(storeMilliseconds: row.int64(at: 2) ?? 0),
                                errorCode: row.string(at: 3) ?? "", errorMessage: row.string(at: 4) ?? "",
                                raw: row.bytes(at: 5))
            }
        }
    }

    /// Where a polling adapter had got to, as last committed.
    public func checkpoint(adapterID: String, key: String) throws(StoreError) -> String? {
        try readers.withConnection("read checkpoint") { db throws(StoreError) in
            let s = try db.cachedStatement(
                "SELECT value FROM checkpoints WHERE adapter_id = ?1 AND key = ?2", purpose: "read checkpoint")
            try s.bind(adapterID, at: 1)
            try s.bind(key, at: 2)
            return try s.queryOne { $0.string(at: 0) } ?? nil
        }
    }

    public func stats() throws(StoreError) -> StoreStats {
        let counts = try readers.withConnection("read stats") { db throws(StoreError) in
            let s = try db.cachedStatement("SELECT name, value FROM counters", purpose: "read row counters")
            var counts: [String: Int] = [:]
            for (name, value) in try s.queryAll({ ($0.string(at: 0) ?? "", Int($0.int64(at: 1) ?? 0)) }) {
                counts[name] = value
            }
            return counts
        }
        var bytes: Int64 = 0
        for file in [path, path + "-wal"] {
            if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber {
                bytes += size.int64Value
            }
        }
        return StoreStats(messages: counts["messages"] ?? 0, contacts: counts["contacts"] ?? 0,
                          conversations: counts["conversations"] ?? 0, quarantined: counts["quarantine"] ?? 0,
                          databaseBytes: bytes)
    }
}
