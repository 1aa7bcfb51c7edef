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
        Migration(name: "agents, tasks and outbox") { db throws(StoreError) in
            try db.execute(work, purpose: "create agent, task and outbox tables")
        },
        Migration(name: "outbox early receipts") { db throws(StoreError) in
            try db.execute(earlyReceipts, purpose: "create outbox_early_receipts")
        },
    ])

    /// Delivery receipts that came before the outbox recorded the provider's id they name (a
    /// provider may call back before it answers the send request). Applied and removed when the
    /// `sent` row with that id is recorded; bounded in count and age (`StoreOptions`). The rowid
    /// is the arrival order: the oldest are dropped first.
    static let earlyReceipts = """
    CREATE TABLE outbox_early_receipts (
        adapter_id   TEXT NOT NULL,
        provider_id  TEXT NOT NULL,
        outcome      TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed')),
        detail       TEXT,                          -- the provider's status and error code
        parked_at    INTEGER NOT NULL,
        UNIQUE (adapter_id, provider_id)            -- the first final answer stands
    );
    CREATE INDEX outbox_early_receipts_by_age ON outbox_early_receipts(parked_at);
    """

    /// What happens after a message is stored: tasks for agents with their events (offers,
    /// assignments, SLA clocks), agents' status and API tokens, and the outbox that delivers
    /// replies and automatic answers. Outbound messages are rows of `messages` with direction
    /// 'outbound'; their delivery is tracked by their outbox row and mirrored in `delivery_state`.
    static let work = """
    ALTER TABLE messages ADD COLUMN delivery_state TEXT;   -- outbound only: queued, sent, delivered, failed, dead
    ALTER TABLE messages ADD COLUMN author TEXT;           -- outbound only: the agent id, or 'auto'

    -- One task per conversation that needs an agent; at most one open (not resolved) task per conversation.
    CREATE TABLE tasks (
        id                 TEXT PRIMARY KEY NOT NULL,    -- tk_…
        conversation_id    TEXT NOT NULL REFERENCES conversations(id),
        message_id         TEXT NOT NULL REFERENCES messages(id),   -- the message that opened it
        queue              TEXT NOT NULL,
        channel            TEXT NOT NULL,                -- the response channel: capacity is counted here
        priority           INTEGER NOT NULL,
        state              TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'assigned', 'resolved')),
        agent_id           TEXT,
        created_at         INTEGER NOT NULL,
        first_response_at  INTEGER,
        resolved_at        INTEGER,
        updated_at         INTEGER NOT NULL,
        plan               TEXT NOT NULL DEFAULT '{}'    -- skills, escalation, SLA targets, calendar: what the runtime needs to restart it
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX tasks_open_by_conversation ON tasks(conversation_id) WHERE state <> 'resolved';
    CREATE INDEX tasks_by_state ON tasks(state, agent_id);
    CREATE INDEX tasks_by_conversation ON tasks(conversation_id, updated_at);
    CREATE INDEX tasks_by_message ON tasks(message_id);

    -- Everything that happened to a task, in order: offers, accepts, declines, SLA clock events, escalations.
    CREATE TABLE task_events (
        task_id   TEXT NOT NULL,
        at        INTEGER NOT NULL,
        kind      TEXT NOT NULL,
        agent_id  TEXT,
        details   TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX task_events_by_task ON task_events(task_id, at);

    -- An agent's last status, so that a restart does not make everybody available (or offline).
    CREATE TABLE agent_state (
        agent_id    TEXT PRIMARY KEY NOT NULL,
        status      TEXT NOT NULL,
        changed_at  INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- Bearer tokens for the agent API, stored as SHA-256 of the token: the token itself is shown once.
    CREATE TABLE agent_tokens (
        token_sha256  TEXT PRIMARY KEY NOT NULL,
        agent_id      TEXT NOT NULL,
        label         TEXT,
        created_at    INTEGER NOT NULL,
        revoked_at    INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX agent_tokens_by_agent ON agent_tokens(agent_id);

    -- Every outbound message waiting to leave, or gone: retried with backoff, dead after a limit.
    CREATE TABLE outbox (
        id               TEXT PRIMARY KEY NOT NULL,     -- ob_…; also the stable part of an email's Message-ID
        message_id       TEXT NOT NULL REFERENCES messages(id),
        adapter_id       TEXT NOT NULL,                 -- the adapter that delivers it
        channel          TEXT NOT NULL,
        recipient        TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'delivered', 'failed', 'dead')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        last_error       TEXT,
        provider_id      TEXT,                          -- the provider's id (Twilio SID, Vonage message-id)
        created_at       INTEGER NOT NULL,               -- also an email's Date: a resend is byte-identical
        queued_at        INTEGER NOT NULL,               -- when it (re-)entered the queue: max_age counts from here
        updated_at       INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
    CREATE INDEX outbox_by_message ON outbox(message_id);
    CREATE INDEX outbox_by_provider_id ON outbox(adapter_id, provider_id) WHERE provider_id IS NOT NULL;
    INSERT INTO counters (name, value) VALUES ('outbox_pending', 0), ('outbox_dead', 0);
    """

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
