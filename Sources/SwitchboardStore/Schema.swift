/// The store's schema history. Append new steps; never edit a released one.
///
/// Conventions: ids are time-sortable text (`SortableID`), so `ORDER BY id` is arrival order;
/// times are INTEGER milliseconds since 1970 (UTC); JSON columns hold an object or array of
/// strings (attachments: objects in `Attachment`'s Codable shape) and are never NULL.
enum Schema {
    static let migrator = Migrator(migrations: [
        Migration(name: "initial schema") { db throws(StoreError) in
            try db.execute(initial, purpose: "create tables")
        },
        Migration(name: "message decisions") { db throws(StoreError) in
            try db.execute(decisions, purpose: "add decision columns")
        },
        // Measured: one index fewer to update per message took the ingest benchmark from about
        // 4,000 to 8,000 messages/s (with foreign-key checks off on the writer, see Database+Configuration).
        // A contact's recent messages are found through its conversations instead.
        Migration(name: "drop messages_by_contact") { db throws(StoreError) in
            try db.execute("DROP INDEX IF EXISTS messages_by_contact", purpose: "drop index messages_by_contact")
        },
    ])

    /// Classification and routing stored with each inbound message (`MessageDecision`).
    static let decisions = """
    ALTER TABLE messages ADD COLUMN inquiry_type TEXT;
    ALTER TABLE messages ADD COLUMN confidence REAL;
    ALTER TABLE messages ADD COLUMN queue TEXT;
    ALTER TABLE messages ADD COLUMN priority INTEGER;
    ALTER TABLE messages ADD COLUMN decision TEXT;
    """

    static let initial = """
    CREATE TABLE contacts (
        id            TEXT PRIMARY KEY NOT NULL,
        display_name  TEXT,
        attributes    TEXT NOT NULL DEFAULT '{}',
        created_at    INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- One row per way of reaching a contact; a known identity attaches any channel's message to its contact.
    CREATE TABLE identities (
        kind        TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'social', 'chat', 'external')),
        value       TEXT NOT NULL CHECK (value <> ''),
        contact_id  TEXT NOT NULL REFERENCES contacts(id),
        PRIMARY KEY (kind, value)
    ) WITHOUT ROWID;
    CREATE INDEX identities_by_contact ON identities(contact_id);

    CREATE TABLE conversations (
        id               TEXT PRIMARY KEY NOT NULL,
        contact_id       TEXT NOT NULL REFERENCES contacts(id),
        status           TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
        channel          TEXT NOT NULL,          -- channel of the last message
        created_at       INTEGER NOT NULL,
        last_message_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- "The contact's most recent open conversation" (a contact has few open ones: they are sorted
    -- after the lookup, so that updating last_message_at never moves an index entry).
    CREATE INDEX conversations_by_contact ON conversations(contact_id, status);

    -- Thread keys known on a channel: email Message-IDs, chat sessions, social status ids.
    CREATE TABLE conversation_keys (
        channel          TEXT NOT NULL,
        key              TEXT NOT NULL,
        conversation_id  TEXT NOT NULL REFERENCES conversations(id),
        PRIMARY KEY (channel, key)
    ) WITHOUT ROWID;

    CREATE TABLE messages (
        id                  TEXT PRIMARY KEY NOT NULL,
        adapter_id          TEXT NOT NULL CHECK (adapter_id <> ''),
        external_id         TEXT NOT NULL CHECK (external_id <> ''),
        channel             TEXT NOT NULL,
        direction           TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        contact_id          TEXT NOT NULL REFERENCES contacts(id),
        conversation_id     TEXT NOT NULL REFERENCES conversations(id),
        sender_kind         TEXT NOT NULL,
        sender_value        TEXT NOT NULL,
        sender_name         TEXT,
        recipient           TEXT,
        subject             TEXT,
        text                TEXT NOT NULL,
        html                TEXT,
        attachments         TEXT NOT NULL DEFAULT '[]',
        metadata            TEXT NOT NULL DEFAULT '{}',
        thread_key          TEXT,
        reply_to            TEXT NOT NULL DEFAULT '[]',
        contact_attributes  TEXT NOT NULL DEFAULT '{}',
        sent_at             INTEGER,
        received_at         INTEGER NOT NULL,
        raw                 BLOB NOT NULL,
        UNIQUE (adapter_id, external_id)         -- the dedupe key
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE INDEX messages_by_contact ON messages(contact_id, id);

    -- Poison input, kept with its error and raw bytes so that it never blocks an adapter.
    CREATE TABLE quarantine (
        id             TEXT PRIMARY KEY NOT NULL,
        adapter_id     TEXT NOT NULL,
        received_at    INTEGER NOT NULL,
        error_code     TEXT NOT NULL,
        error_message  TEXT NOT NULL,
        raw            BLOB NOT NULL
    );

    -- Where a polling adapter has got to (IMAP UIDVALIDITY and last UID, a feed cursor).
    CREATE TABLE checkpoints (
        adapter_id  TEXT NOT NULL,
        key         TEXT NOT NULL,
        value       TEXT NOT NULL,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (adapter_id, key)
    ) WITHOUT ROWID;

    -- Row counts kept by the writer in the same transactions that change them, so that stats
    -- (and /metrics scrapes) never count millions of rows.
    CREATE TABLE counters (
        name   TEXT PRIMARY KEY NOT NULL,
        value  INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO counters (name, value) VALUES
        ('messages', 0), ('contacts', 0), ('conversations', 0), ('quarantine', 0);
    """
}
