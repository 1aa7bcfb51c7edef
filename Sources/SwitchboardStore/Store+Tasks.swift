import Foundation
import SwitchboardCore

/// A task as stored: one conversation that needs an agent, and where it stands.
public struct TaskRecord: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        case waiting, offered, assigned, resolved
    }

    public var id: String
    public var conversationID: String
    /// The message that opened it.
    public var messageID: String
    public var queue: String
    /// The response channel: the agent's capacity is counted here.
    public var channel: Channel
    public var priority: Int
    public var state: State
    public var agentID: String?
    public var createdAt: Date
    public var firstResponseAt: Date?
    public var resolvedAt: Date?
    public var updatedAt: Date
    /// What the task was opened with (SLA targets, calendar, response channel, inquiry type), as
    /// a JSON object of strings and numbers: shown to agents and by `explain`.
    public var plan: [String: String]

    public init(id: String, conversationID: String, messageID: String, queue: String, channel: Channel, priority: Int,
                state: State, agentID: String? = nil, createdAt: Date, firstResponseAt: Date? = nil, resolvedAt: Date? = nil,
                updatedAt: Date, plan: [String: String] = [:]) {
        self.id = id
        self.conversationID = conversationID
        self.messageID = messageID
        self.queue = queue
        self.channel = channel
        self.priority = priority
        self.state = state
        self.agentID = agentID
        self.createdAt = createdAt
        self.firstResponseAt = firstResponseAt
        self.resolvedAt = resolvedAt
        self.updatedAt = updatedAt
        self.plan = plan
    }
}

/// One thing that happened to a task: an offer, an accept, an SLA clock starting or breaching.
public struct TaskEventRecord: Sendable, Hashable {
    public var taskID: String
    public var at: Date
    /// `created`, `offered`, `assigned`, `declined`, `revoked`, `requeued`, `escalated`, `notify`,
    /// `transferred`, `replied`, `customer_replied`, `resolved`, `reopened`, `sla_started`,
    /// `sla_paused`, `sla_resumed`, `sla_breached`, `sla_met`, …
    public var kind: String
    public var agentID: String?
    public var details: [String: String]

    public init(taskID: String, at: Date, kind: String, agentID: String? = nil, details: [String: String] = [:]) {
        self.taskID = taskID
        self.at = at
        self.kind = kind
        self.agentID = agentID
        self.details = details
    }
}

/// A change to a stored task's placement.
public struct TaskUpdate: Sendable, Hashable {
    public var id: String
    public var state: TaskRecord.State
    public var agentID: String?
    public var queue: String?
    public var priority: Int?
    public var firstResponseAt: Date?
    public var resolvedAt: Date?
    /// Clears `resolved_at` (a reopened task).
    public var reopened: Bool

    public init(id: String, state: TaskRecord.State, agentID: String?, queue: String? = nil, priority: Int? = nil,
                firstResponseAt: Date? = nil, resolvedAt: Date? = nil, reopened: Bool = false) {
        self.id = id
        self.state = state
        self.agentID = agentID
        self.queue = queue
        self.priority = priority
        self.firstResponseAt = firstResponseAt
        self.resolvedAt = resolvedAt
        self.reopened = reopened
    }
}

/// Everything one step of the task runtime changes, written in one transaction.
public struct TaskChanges: Sendable {
    public var newTasks: [TaskRecord] = []
    public var updates: [TaskUpdate] = []
    public var events: [TaskEventRecord] = []
    /// Agent id → new status, remembered across restarts.
    public var agentStatuses: [String: String] = [:]
    /// Conversations to mark resolved / open again.
    public var resolveConversations: [String] = []
    public var reopenConversations: [String] = []
    /// A checkpoint written in the same transaction (adapter, key, value): how far the writer of
    /// these changes has got, so that a replay after a crash starts exactly there.
    public var checkpoint: (adapter: String, key: String, value: String)?

    public init() {}

    public var isEmpty: Bool {
        newTasks.isEmpty && updates.isEmpty && events.isEmpty && agentStatuses.isEmpty
            && resolveConversations.isEmpty && reopenConversations.isEmpty && checkpoint == nil
    }
}

// MARK: Writing

extension Store {
    /// Applies one step of the task runtime in the next group commit and answers after COMMIT.
    /// Refused as a whole (nothing written) when a row breaks a constraint, e.g. a second open
    /// task for a conversation.
    public func apply(_ changes: TaskChanges, completion: @escaping @Sendable (Result<Void, StoreError>) -> Void) {
        guard !changes.isEmpty else { return completion(.success(())) }
        write({ writer throws(StoreError) in try writer.apply(changes) }, completion: completion)
    }

    public func apply(_ changes: TaskChanges) async throws(StoreError) {
        guard !changes.isEmpty else { return }
        try await write { writer throws(StoreError) in try writer.apply(changes) }
    }

    /// Stores the SHA-256 (hex) of a new agent API token. The token itself is never stored.
    public func addAgentToken(sha256: String, agentID: String, label: String?) async throws(StoreError) {
        try await write { writer throws(StoreError) in
            let s = try writer.db.cachedStatement(
                "INSERT INTO agent_tokens (token_sha256, agent_id, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                purpose: "store agent token")
            try s.bind(sha256, at: 1)
            try s.bind(agentID, at: 2)
            try s.bind(label, at: 3)
            try s.bind(writer.batchMillis, at: 4)
            try s.run()
        }
    }

    /// Revokes every live token of an agent; answers how many.
    public func revokeAgentTokens(agentID: String) async throws(StoreError) -> Int {
        try await write { writer throws(StoreError) in
            let s = try writer.db.cachedStatement(
                "UPDATE agent_tokens SET revoked_at = ?2 WHERE agent_id = ?1 AND revoked_at IS NULL",
                purpose: "revoke agent tokens")
            try s.bind(agentID, at: 1)
            try s.bind(writer.batchMillis, at: 2)
            try s.run()
            return writer.db.changes
        }
    }
}

extension StoreWriter {
    func apply(_ changes: TaskChanges) throws(StoreError) {
        for task in changes.newTasks {
            let s = try db.cachedStatement(
                """
                INSERT INTO tasks (id, conversation_id, message_id, queue, channel, priority, state, agent_id,
                                   created_at, first_response_at, resolved_at, updated_at, plan)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                """, purpose: "insert task")
            try s.bind(task.id, at: 1)
            try s.bind(task.conversationID, at: 2)
            try s.bind(task.messageID, at: 3)
            try s.bind(task.queue, at: 4)
            try s.bind(task.channel.rawValue, at: 5)
            try s.bind(task.priority, at: 6)
            try s.bind(task.state.rawValue, at: 7)
            try s.bind(task.agentID, at: 8)
            try s.bind(task.createdAt.storeMilliseconds, at: 9)
            try s.bind(task.firstResponseAt?.storeMilliseconds, at: 10)
            try s.bind(task.resolvedAt?.storeMilliseconds, at: 11)
            try s.bind(task.updatedAt.storeMilliseconds, at: 12)
            try s.bind(JSONColumn.encode(task.plan), at: 13)
            try s.run()
        }
        for update in changes.updates {
            let s = try db.cachedStatement(
                """
                UPDATE tasks SET state = ?2, agent_id = ?3, queue = coalesce(?4, queue), priority = coalesce(?5, priority),
                    first_response_at = coalesce(first_response_at, ?6),
                    resolved_at = CASE WHEN ?8 THEN NULL ELSE coalesce(?7, resolved_at) END,
                    updated_at = ?9
                WHERE id = ?1
                """, purpose: "update task")
            try s.bind(update.id, at: 1)
            try s.bind(update.state.rawValue, at: 2)
            try s.bind(update.agentID, at: 3)
            try s.bind(update.queue, at: 4)
            try s.bind(update.priority, at: 5)
            try s.bind(update.firstResponseAt?.storeMilliseconds, at: 6)
            try s.bind(update.resolvedAt?.storeMilliseconds, at: 7)
            try s.bind(update.reopened ? 1 : 0, at: 8)
            try s.bind(batchMillis, at: 9)
            try s.run()
        }
        for event in changes.events {
            let s = try db.cachedStatement(
                "INSERT INTO task_events (task_id, at, kind, agent_id, details) VALUES (?1, ?2, ?3, ?4, ?5)",
                purpose: "insert task event")
            try s.bind(event.taskID, at: 1)
            try s.bind(event.at.storeMilliseconds, at: 2)
            try s.bind(event.kind, at: 3)
            try s.bind(event.agentID, at: 4)
            try s.bind(JSONColumn.encode(event.details), at: 5)
            try s.run()
        }
        for (agent, status) in changes.agentStatuses.sorted(by: { $0.key < $1.key }) {
            let s = try db.cachedStatement(
                """
                INSERT INTO agent_state (agent_id, status, changed_at) VALUES (?1, ?2, ?3)
                ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status, changed_at = excluded.changed_at
                """, purpose: "store agent status")
            try s.bind(agent, at: 1)
            try s.bind(status, at: 2)
            try s.bind(batchMillis, at: 3)
            try s.run()
        }
        if let checkpoint = changes.checkpoint {
            let s = sql.upsertCheckpoint
            try s.bind(checkpoint.adapter, at: 1)
            try s.bind(checkpoint.key, at: 2)
            try s.bind(checkpoint.value, at: 3)
            try s.bind(batchMillis, at: 4)
            try s.run()
        }
        for id in changes.resolveConversations { _ = try setConversation(id, open: false) }
        for id in changes.reopenConversations { _ = try setConversation(id, open: true) }
    }

    /// Marks a conversation resolved or open and keeps the writer's lookups true: a resolved
    /// conversation is no longer its contact's open one; a reopened one becomes it again.
    func setConversation(_ id: String, open: Bool) throws(StoreError) -> Bool {
        // Pending "last message" updates reopen conversations: apply them first.
        try flushPendingTouches()
        let s = try db.cachedStatement("UPDATE conversations SET status = ?2 WHERE id = ?1", purpose: "set conversation status")
        try s.bind(id, at: 1)
        try s.bind(open ? "open" : "resolved", at: 2)
        try s.run()
        guard db.changes > 0 else { return false }
        if var conversation = cache.conversations[id] {
            conversation.isOpen = open
            cache.conversations[id] = conversation
            if open {
                cache.contacts[conversation.contactID]?.openConversation = .unknown
            } else if cache.contacts[conversation.contactID]?.openConversation == .some(id) {
                cache.contacts[conversation.contactID]?.openConversation = .unknown
            }
        } else {
            // Unknown owner: forget every contact's open conversation rather than guess.
            for key in cache.contacts.keys { cache.contacts[key]?.openConversation = .unknown }
        }
        return true
    }
}

// MARK: Reading

extension Store {
    static let taskColumns = """
        id, conversation_id, message_id, queue, channel, priority, state, agent_id, created_at, first_response_at, \
        resolved_at, updated_at, plan
        """

    private func readTasks(_ purpose: String, _ sql: String, bind: (Statement) throws(StoreError) -> Void) throws(StoreError) -> [TaskRecord] {
        try readers.withConnection(purpose) { db throws(StoreError) in
            let s = try db.cachedStatement(sql, purpose: purpose)
            try bind(s)
            return try s.queryAll { row throws(StoreError) in try TaskRecord(row: row) }
        }
    }

    /// Every task not resolved, oldest first: what the runtime loads at start.
    public func openTasks() throws(StoreError) -> [TaskRecord] {
        try readTasks("read open tasks", "SELECT \(Store.taskColumns) FROM tasks WHERE state <> 'resolved' ORDER BY created_at, id") { _ in }
    }

    public func task(id: String) throws(StoreError) -> TaskRecord? {
        try readTasks("read task", "SELECT \(Store.taskColumns) FROM tasks WHERE id = ?1") { s throws(StoreError) in try s.bind(id, at: 1) }.first
    }

    /// The task a message opened, if it opened one.
    public func task(openedBy messageID: String) throws(StoreError) -> TaskRecord? {
        try readTasks("read task of message", "SELECT \(Store.taskColumns) FROM tasks WHERE message_id = ?1 LIMIT 1") { s throws(StoreError) in
            try s.bind(messageID, at: 1)
        }.first
    }

    /// A conversation's tasks, newest first.
    public func tasks(conversationID: String) throws(StoreError) -> [TaskRecord] {
        try readTasks("read conversation's tasks",
                      "SELECT \(Store.taskColumns) FROM tasks WHERE conversation_id = ?1 ORDER BY updated_at DESC") { s throws(StoreError) in
            try s.bind(conversationID, at: 1)
        }
    }

    /// The agent who last held a task of this contact (the last-agent preference).
    public func lastAgent(contactID: String) throws(StoreError) -> String? {
        try readers.withConnection("read last agent") { db throws(StoreError) in
            let s = try db.cachedStatement(
                """
                SELECT t.agent_id FROM conversations c JOIN tasks t ON t.conversation_id = c.id
                WHERE c.contact_id = ?1 AND t.agent_id IS NOT NULL AND t.state IN ('assigned', 'resolved')
                ORDER BY t.updated_at DESC LIMIT 1
                """, purpose: "read last agent")
            try s.bind(contactID, at: 1)
            return try s.queryOne { $0.string(at: 0) } ?? nil
        }
    }

    public func taskEvents(taskID: String) throws(StoreError) -> [TaskEventRecord] {
        try readers.withConnection("read task events") { db throws(StoreError) in
            let s = try db.cachedStatement(
                "SELECT task_id, at, kind, agent_id, details FROM task_events WHERE task_id = ?1 ORDER BY at, rowid",
                purpose: "read task events")
            try s.bind(taskID, at: 1)
            return try s.queryAll { row throws(StoreError) in try TaskEventRecord(row: row) }
        }
    }

    /// The events of every open task, each task's in the order they happened: what the runtime
    /// rebuilds SLA clocks and fired escalation steps from at start.
    public func openTaskEvents() throws(StoreError) -> [String: [TaskEventRecord]] {
        try readers.withConnection("read open tasks' events") { db throws(StoreError) in
            let s = try db.cachedStatement(
                """
                SELECT e.task_id, e.at, e.kind, e.agent_id, e.details FROM task_events e JOIN tasks t ON t.id = e.task_id
                WHERE t.state <> 'resolved' ORDER BY e.task_id, e.at, e.rowid
                """, purpose: "read open tasks' events")
            var result: [String: [TaskEventRecord]] = [:]
            for event in try s.queryAll({ row throws(StoreError) in try TaskEventRecord(row: row) }) {
                result[event.taskID, default: []].append(event)
            }
            return result
        }
    }

    /// Each agent's last stored status.
    public func agentStatuses() throws(StoreError) -> [String: String] {
        try readers.withConnection("read agent statuses") { db throws(StoreError) in
            let s = try db.cachedStatement("SELECT agent_id, status FROM agent_state", purpose: "read agent statuses")
            var result: [String: String] = [:]
            for (agent, status) in try s.queryAll({ ($0.string(at: 0) ?? "", $0.string(at: 1) ?? "") }) { result[agent] = status }
            return result
        }
    }

    /// The agent a live token (by its SHA-256, hex) belongs to.
    public func agentID(forTokenSHA256 hash: String) throws(StoreError) -> String? {
        try readers.withConnection("check agent token") { db throws(StoreError) in
            let s = try db.cachedStatement(
                "SELECT agent_id FROM agent_tokens WHERE token_sha256 = ?1 AND revoked_at IS NULL", purpose: "check agent token")
            try s.bind(hash, at: 1)
            return try s.queryOne { $0.string(at: 0) } ?? nil
        }
    }

    /// The conversation's contact and status.
    public func conversation(id: String) throws(StoreError) -> (contactID: String, isOpen: Bool, channel: Channel?)? {
        try readers.withConnection("read conversation") { db throws(StoreError) in
            let s = try db.cachedStatement("SELECT contact_id, status, channel FROM conversations WHERE id = ?1",
                                           purpose: "read conversation")
            try s.bind(id, at: 1)
            return try s.queryOne { row in
                (row.string(at: 0) ?? "", row.string(at: 1) == "open", row.string(at: 2).flatMap(Channel.init(rawValue:)))
            }
        }
    }

    /// Whether the conversation already holds an automatic answer (a customer writing back after
    /// self-service deflection then gets a human).
    public func hasAutomaticAnswer(conversationID: String) throws(StoreError) -> Bool {
        try readers.withConnection("read automatic answers") { db throws(StoreError) in
            let s = try db.cachedStatement(
                "SELECT 1 FROM messages WHERE conversation_id = ?1 AND direction = 'outbound' AND author = 'auto' LIMIT 1",
                purpose: "read automatic answers")
            try s.bind(conversationID, at: 1)
            return try s.queryOne { _ in true } ?? false
        }
    }
}

extension TaskEventRecord {
    /// Columns task_id, at, kind, agent_id, details.
    init(row: Statement) throws(StoreError) {
        self.init(taskID: row.string(at: 0) ?? "", at: Date(storeMilliseconds: row.int64(at: 1) ?? 0), kind: row.string(at: 2) ?? "",
                  agentID: row.string(at: 3),
                  details: try JSONColumn.decodeObject(row.string(at: 4) ?? "{}", column: "task_events.details"))
    }
}

extension TaskRecord {
    init(row: Statement) throws(StoreError) {
        let id = row.string(at: 0) ?? ""
        guard let channel = Channel(rawValue: row.string(at: 4) ?? "") else {
            throw .unknownValue("tasks.channel", row.string(at: 4), reading: "task \(id)")
        }
        guard let state = State(rawValue: row.string(at: 6) ?? "") else {
            throw .unknownValue("tasks.state", row.string(at: 6), reading: "task \(id)")
        }
        self.init(id: id, conversationID: row.string(at: 1) ?? "", messageID: row.string(at: 2) ?? "",
                  queue: row.string(at: 3) ?? "", channel: channel, priority: Int(row.int64(at: 5) ?? 0), state: state,
                  agentID: row.string(at: 7), createdAt: Date(storeMilliseconds: row.int64(at: 8) ?? 0),
                  firstResponseAt: row.int64(at: 9).map(Date.init(storeMilliseconds:)),
                  resolvedAt: row.int64(at: 10).map(Date.init(storeMilliseconds:)),
                  updatedAt: Date(storeMilliseconds: row.int64(at: 11) ?? 0),
                  plan: try JSONColumn.decodeObject(row.string(at: 12) ?? "{}", column: "tasks.plan"))
    }
}
