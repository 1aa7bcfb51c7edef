/// Every statement the writer runs, prepared once when it starts and reused for every message.
/// Parameters are numbered (`?1`) so the bind calls read against the SQL.
final class WriterStatements {
    let begin, commit, rollback: Statement
    let savepoint, releaseSavepoint, rollbackToSavepoint: Statement

    let findMessage: Statement
    let findIdentity, insertContact, insertIdentity: Statement
    let loadContact, setDisplayName, setAttributes: Statement
    let findThreadKey, insertThreadKey: Statement
    let loadConversation, findOpenConversation, insertConversation, touchConversation, reopenConversation, resolveConversation: Statement
    let insertMessage: Statement
    let addToCounter: Statement
    let insertQuarantine, upsertCheckpoint: Statement

    init(_ db: Database) throws(StoreError) {
        begin = try db.prepare("BEGIN IMMEDIATE", purpose: "begin batch transaction")
        commit = try db.prepare("COMMIT", purpose: "commit batch")
        rollback = try db.prepare("ROLLBACK", purpose: "roll back batch")
        savepoint = try db.prepare("SAVEPOINT one_message", purpose: "start message savepoint")
        releaseSavepoint = try db.prepare("RELEASE one_message", purpose: "release message savepoint")
        rollbackToSavepoint = try db.prepare("ROLLBACK TO one_message", purpose: "roll back one message")

        findMessage = try db.prepare(
            "SELECT id, contact_id, conversation_id FROM messages WHERE adapter_id = ?1 AND external_id = ?2",
            purpose: "look up message by dedupe key")

        findIdentity = try db.prepare(
            "SELECT contact_id FROM identities WHERE kind = ?1 AND value = ?2", purpose: "look up identity")
        insertContact = try db.prepare(
            "INSERT INTO contacts (id, display_name, attributes, created_at) VALUES (?1, ?2, ?3, ?4)",
            purpose: "insert contact")
        insertIdentity = try db.prepare(
            "INSERT INTO identities (kind, value, contact_id) VALUES (?1, ?2, ?3)", purpose: "insert identity")
        loadContact = try db.prepare(
            "SELECT display_name IS NOT NULL, attributes FROM contacts WHERE id = ?1", purpose: "load contact")
        setDisplayName = try db.prepare(
            "UPDATE contacts SET display_name = ?2 WHERE id = ?1 AND display_name IS NULL", purpose: "set contact name")
        setAttributes = try db.prepare(
            "UPDATE contacts SET attributes = ?2 WHERE id = ?1", purpose: "merge contact attributes")

        findThreadKey = try db.prepare(
            "SELECT conversation_id FROM conversation_keys WHERE channel = ?1 AND key = ?2", purpose: "look up thread key")
        insertThreadKey = try db.prepare(
            "INSERT INTO conversation_keys (channel, key, conversation_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            purpose: "record thread key")
        loadConversation = try db.prepare(
            "SELECT contact_id, status = 'open', last_message_at FROM conversations WHERE id = ?1",
            purpose: "load conversation")
        findOpenConversation = try db.prepare("""
            SELECT id, last_message_at FROM conversations
            WHERE contact_id = ?1 AND status = 'open' ORDER BY last_message_at DESC LIMIT 1
            """, purpose: "find the contact's open conversation")
        insertConversation = try db.prepare("""
            INSERT INTO conversations (id, contact_id, status, channel, created_at, last_message_at)
            VALUES (?1, ?2, 'open', ?3, ?4, ?4)
            """, purpose: "insert conversation")
        // Two statements, so that the usual case (an open conversation) does not rewrite its
        // entry in conversations_by_contact (contact_id, status): an UPDATE that sets an indexed
        // column rewrites the index entry even when the value stays the same (one page per batch).
        touchConversation = try db.prepare("""
            UPDATE conversations SET channel = ?2, last_message_at = max(last_message_at, ?3)
            WHERE id = ?1
            """, purpose: "update conversation's last message")
        reopenConversation = try db.prepare(
            "UPDATE conversations SET status = 'open' WHERE id = ?1 AND status <> 'open'", purpose: "reopen conversation")
        resolveConversation = try db.prepare(
            "UPDATE conversations SET status = 'resolved' WHERE id = ?1", purpose: "resolve conversation")

        insertMessage = try db.prepare("""
            INSERT INTO messages (id, adapter_id, external_id, channel, direction, contact_id, conversation_id,
                sender_kind, sender_value, sender_name, recipient, subject, text, html, attachments, metadata,
                thread_key, reply_to, contact_attributes, sent_at, received_at, raw,
                inquiry_type, confidence, queue, priority, decision)
            VALUES (?1, ?2, ?3, ?4, 'inbound', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                ?22, ?23, ?24, ?25, ?26)
            """, purpose: "insert message")

        addToCounter = try db.prepare(
            "UPDATE counters SET value = value + ?2 WHERE name = ?1", purpose: "update row counters")
        insertQuarantine = try db.prepare("""
            INSERT INTO quarantine (id, adapter_id, received_at, error_code, error_message, raw)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """, purpose: "insert quarantine entry")
        upsertCheckpoint = try db.prepare("""
            INSERT INTO checkpoints (adapter_id, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (adapter_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """, purpose: "set checkpoint")
    }
}
