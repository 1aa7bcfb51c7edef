import Foundation
import SwitchboardCore

/// One message inside the batch transaction: dedupe, identity → contact, conversation, insert.
extension StoreWriter {
    /// What one message created, applied to the batch only once the message is stored.
    private struct Created {
        var contacts = 0
        var conversations = 0
        var newConversation = false
    }

    /// Stores one message, or answers with the original ids, or with an error confined to this
    /// message. Throws errors that doom the whole transaction, and, in the fast mode (no savepoint
    /// per message), a confined error after setting `needsCarefulRetry`: the batch is then rolled
    /// back and run again with a savepoint around each message, so that the failing message fails
    /// alone (its savepoint is rolled back) and the rest of the batch commits.
    func ingest(_ message: InboundMessage, _ tally: inout Tally) throws(StoreError) -> Result<IngestOutcome, StoreError> {
        if let problem = Self.problem(in: message) {
            tally.itemErrors += 1
            return .failure(problem)
        }
        // A duplicate changes nothing, also when the original is earlier in this same batch
        // (the transaction sees its own rows).
        if let original = try findOriginal(of: message) {
            tally.duplicates += 1
            return .success(original)
        }

        let careful = carefulMode
        if careful { try sql.savepoint.run() }
        do throws(StoreError) {
            var created = Created()
            let contactID = try resolveContact(for: message, &created)
            let conversationID = try chooseConversation(for: message, contactID: contactID, &created)
            if let key = message.threadKey, !key.isEmpty {
                try recordThreadKey(WriterCache.ThreadKey(channel: message.channel, key: key), conversationID: conversationID)
            }
            let messageID = SortableID.make("msg", now: batchNow)
            try insert(message, id: messageID, contactID: contactID, conversationID: conversationID)
            let rowID = db.lastInsertRowID
            if careful { try sql.releaseSavepoint.run() }

            tally.newMessages += 1
            counterDeltas.messages += 1
            counterDeltas.contacts += created.contacts
            counterDeltas.conversations += created.conversations
            if !created.newConversation {
                pendingTouches[conversationID] = (batchMillis, message.channel)
            }
            let outcome = IngestOutcome(messageID: messageID, contactID: contactID,
                                        conversationID: conversationID, duplicate: false)
            if wantsCommitted {
                committed.append(CommittedMessage(rowID: rowID, outcome: outcome, message: message))
            }
            return .success(outcome)
        } catch where error.isConfinedToRow && db.isInTransaction {
            guard careful else {
                needsCarefulRetry = true
                throw error
            }
            try sql.rollbackToSavepoint.run()
            try sql.releaseSavepoint.run()
            // The cache may now name rows that were rolled back. Make the database hold what the
            // cache knew about earlier messages, then forget the cache.
            try flushPendingTouches()
            cache.removeAll()
            tally.itemErrors += 1
            logger.warning("message refused by the store",
                           ["adapter": message.adapterID, "external_id": message.externalID, "error": error.description])
            return .failure(error)
        }
    }

    /// Checks what SQLite's constraints would also refuse, with a clearer answer and without a
    /// savepoint.
    static func problem(in message: InboundMessage) -> StoreError? {
        func invalid(_ field: String, _ reason: String) -> StoreError {
            StoreError(code: .invalidMessage, purpose: "validate message", message: "\(field) \(reason)",
                       hint: "the adapter must set \(field); this message will never be stored as it is")
        }
        if message.adapterID.isEmpty { return invalid("adapterID", "is empty") }
        if message.externalID.isEmpty { return invalid("externalID", "is empty") }
        if message.sender.value.isEmpty { return invalid("sender.value", "is empty") }
        return nil
    }

    private func findOriginal(of message: InboundMessage) throws(StoreError) -> IngestOutcome? {
        let s = sql.findMessage
        try s.bind(message.adapterID, at: 1)
        try s.bind(message.externalID, at: 2)
        return try s.queryOne { row in
            IngestOutcome(messageID: row.string(at: 0) ?? "", contactID: row.string(at: 1) ?? "",
                          conversationID: row.string(at: 2) ?? "", duplicate: true)
        }
    }

    // MARK: Contact

    /// A known identity attaches to its contact; a new one creates a contact. The sender's name
    /// becomes the display name when the contact has none; the message's contact attributes are
    /// merged in (new values win).
    private func resolveContact(for message: InboundMessage, _ created: inout Created) throws(StoreError) -> String {
        let identity = message.sender
        let name = message.senderName.flatMap { $0.isEmpty ? nil : $0 }

        var known = cache.contactByIdentity[identity]
        if known == nil {
            let s = sql.findIdentity
            try s.bind(identity.kind.rawValue, at: 1)
            try s.bind(identity.value, at: 2)
            known = try s.queryOne { $0.string(at: 0) } ?? nil
            if let known { cache.contactByIdentity[identity] = known }
        }
        guard let contactID = known else {
            return try createContact(identity: identity, name: name, attributes: message.contactAttributes, &created)
        }

        var state = cache.contacts[contactID] ?? WriterCache.ContactState()
        let attributes = message.contactAttributes
        let needsName = name != nil && state.hasDisplayName == nil
        let needsAttributes = !attributes.isEmpty && state.attributes == nil
        if needsName || needsAttributes {
            let s = sql.loadContact
            try s.bind(contactID, at: 1)
            guard let row = try s.queryOne({ ($0.bool(at: 0), $0.string(at: 1) ?? "{}") }) else {
                throw StoreError(code: .corruptRow, purpose: "load contact \(contactID)",
                                 message: "an identity names a contact that does not exist")
            }
            state.hasDisplayName = row.0
            if needsAttributes {
                do {
                    state.attributes = try JSONColumn.decodeObject(row.1, column: "contacts.attributes")
                } catch {
                    // Not worth refusing the customer's message over: start the attributes afresh.
                    logger.warning("contact attributes unreadable; replacing them", ["contact": contactID])
                    state.attributes = [:]
                }
            }
        }
        if let name, state.hasDisplayName == false {
            try sql.setDisplayName.bind(contactID, at: 1)
            try sql.setDisplayName.bind(name, at: 2)
            try sql.setDisplayName.run()
            state.hasDisplayName = true
        }
        if !attributes.isEmpty, var merged = state.attributes {
            merged.merge(attributes) { _, new in new }
            if merged != state.attributes {
                try sql.setAttributes.bind(contactID, at: 1)
                try sql.setAttributes.bind(JSONColumn.encode(merged), at: 2)
                try sql.setAttributes.run()
                state.attributes = merged
            }
        }
        cache.contacts[contactID] = state
        return contactID
    }

    private func createContact(identity: Identity, name: String?, attributes: [String: String],
                               _ created: inout Created) throws(StoreError) -> String {
        let id = SortableID.make("ct", now: batchNow)
        let s = sql.insertContact
        try s.bind(id, at: 1)
        try s.bind(name, at: 2)
        try s.bind(JSONColumn.encode(attributes), at: 3)
        try s.bind(batchMillis, at: 4)
        try s.run()
        try sql.insertIdentity.bind(identity.kind.rawValue, at: 1)
        try sql.insertIdentity.bind(identity.value, at: 2)
        try sql.insertIdentity.bind(id, at: 3)
        try sql.insertIdentity.run()
        cache.contactByIdentity[identity] = id
        cache.contacts[id] = WriterCache.ContactState(hasDisplayName: name != nil, attributes: attributes, openConversation: .none)
        created.contacts += 1
        return id
    }

    // MARK: Conversation

    /// A known thread key (the thread key first, then the replied-to keys) on the message's channel
    /// decides; else the contact's most recent open conversation if its last message is within the
    /// continuation window; else a new conversation.
    private func chooseConversation(for message: InboundMessage, contactID: String,
                                    _ created: inout Created) throws(StoreError) -> String {
        if let key = message.threadKey, !key.isEmpty,
           let id = try conversationID(for: WriterCache.ThreadKey(channel: message.channel, key: key)) {
            try touch(id)
            return id
        }
        for key in message.replyTo where !key.isEmpty {
            if let id = try conversationID(for: WriterCache.ThreadKey(channel: message.channel, key: key)) {
                try touch(id)
                return id
            }
        }
        if let id = try openConversation(of: contactID), let state = try conversationState(id),
           batchMillis - state.lastMessageAt <= continuationMillis {
            try touch(id)
            return id
        }

        let id = SortableID.make("cv", now: batchNow)
        let s = sql.insertConversation
        try s.bind(id, at: 1)
        try s.bind(contactID, at: 2)
        try s.bind(message.channel.rawValue, at: 3)
        try s.bind(batchMillis, at: 4)
        try s.run()
        cache.conversations[id] = WriterCache.ConversationState(contactID: contactID, isOpen: true, lastMessageAt: batchMillis)
        cache.contacts[contactID, default: WriterCache.ContactState()].openConversation = .some(id)
        created.conversations += 1
        created.newConversation = true
        return id
    }

    private func conversationID(for key: WriterCache.ThreadKey) throws(StoreError) -> String? {
        if let id = cache.conversationByKey[key] { return id }
        let s = sql.findThreadKey
        try s.bind(key.channel.rawValue, at: 1)
        try s.bind(key.key, at: 2)
        guard let id = try s.queryOne({ $0.string(at: 0) }) ?? nil else { return nil }
        cache.conversationByKey[key] = id
        return id
    }

    private func conversationState(_ id: String) throws(StoreError) -> WriterCache.ConversationState? {
        if let state = cache.conversations[id] { return state }
        let s = sql.loadConversation
        try s.bind(id, at: 1)
        guard let state = try s.queryOne({ row in
            WriterCache.ConversationState(contactID: row.string(at: 0) ?? "", isOpen: row.bool(at: 1),
                                          lastMessageAt: row.int64(at: 2) ?? 0)
        }) else { return nil }
        cache.conversations[id] = state
        return state
    }

    /// The contact's most recent open conversation, whatever its age.
    private func openConversation(of contactID: String) throws(StoreError) -> String? {
        var state = cache.contacts[contactID] ?? WriterCache.ContactState()
        switch state.openConversation {
        case .some(let id): return id
        case .none: return nil
        case .unknown:
            let s = sql.findOpenConversation
            try s.bind(contactID, at: 1)
            let row = try s.queryOne { ($0.string(at: 0) ?? "", $0.int64(at: 1) ?? 0) }
            if let (id, lastMessageAt) = row {
                state.openConversation = .some(id)
                if cache.conversations[id] == nil {
                    cache.conversations[id] = WriterCache.ConversationState(contactID: contactID, isOpen: true, lastMessageAt: lastMessageAt)
                }
            } else {
                state.openConversation = .none
            }
            cache.contacts[contactID] = state
            return row?.0
        }
    }

    /// A message joins conversation `id`: it is (again) open and its owner's most recent open
    /// conversation. The row is updated once per batch (`pendingTouches`).
    private func touch(_ id: String) throws(StoreError) {
        guard var state = try conversationState(id) else {
            throw StoreError(code: .corruptRow, purpose: "load conversation \(id)",
                             message: "a thread key names a conversation that does not exist")
        }
        state.isOpen = true
        state.lastMessageAt = max(state.lastMessageAt, batchMillis)
        cache.conversations[id] = state
        cache.contacts[state.contactID, default: WriterCache.ContactState()].openConversation = .some(id)
    }

    private func recordThreadKey(_ key: WriterCache.ThreadKey, conversationID: String) throws(StoreError) {
        guard cache.conversationByKey[key] == nil else { return }
        let s = sql.insertThreadKey
        try s.bind(key.channel.rawValue, at: 1)
        try s.bind(key.key, at: 2)
        try s.bind(conversationID, at: 3)
        try s.run()
        if db.changes > 0 { cache.conversationByKey[key] = conversationID }
    }

    // MARK: Message row

    private func insert(_ m: InboundMessage, id: String, contactID: String, conversationID: String) throws(StoreError) {
        let s = sql.insertMessage
        try s.bind(id, at: 1)
        try s.bind(m.adapterID, at: 2)
        try s.bind(m.externalID, at: 3)
        try s.bind(m.channel.rawValue, at: 4)
        try s.bind(contactID, at: 5)
        try s.bind(conversationID, at: 6)
        try s.bind(m.sender.kind.rawValue, at: 7)
        try s.bind(m.sender.value, at: 8)
        try s.bind(m.senderName, at: 9)
        try s.bind(m.recipient, at: 10)
        try s.bind(m.subject, at: 11)
        try s.bind(m.text, at: 12)
        try s.bind(m.html, at: 13)
        try s.bind(JSONColumn.encode(m.attachments), at: 14)
        try s.bind(JSONColumn.encode(m.metadata), at: 15)
        try s.bind(m.threadKey, at: 16)
        try s.bind(JSONColumn.encode(m.replyTo), at: 17)
        try s.bind(JSONColumn.encode(m.contactAttributes), at: 18)
        try s.bind(m.sentAt?.storeMilliseconds, at: 19)
        try s.bind(batchMillis, at: 20)
        try s.bind(m.raw, at: 21)
        if let decision = m.decision {
            try s.bind(decision.inquiryType, at: 22)
            try s.bind(decision.confidence, at: 23)
            try s.bind(decision.queue, at: 24)
            try s.bind(decision.priority, at: 25)
            try s.bind(decision.details, at: 26, asText: true)
        } else {
            for index: Int32 in 22...26 { try s.bindNull(at: index) }
        }
        try s.run()
    }
}
