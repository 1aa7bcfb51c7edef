import SwitchboardCore

/// What the writer remembers between messages so that a known sender in a live conversation costs
/// no lookups: identity → contact, contact → its most recent open conversation, conversation →
/// owner and last message time, thread key → conversation.
///
/// Valid because only the writer thread writes. Within a transaction the cache is authoritative
/// for what the transaction changed but has not yet flushed (conversation times); it is emptied
/// whenever the database and the cache might disagree: after a rolled-back message (once the
/// batch's pending updates are flushed) or a failed transaction. It is bounded crudely: when any
/// map grows past the limit, everything is forgotten between transactions.
struct WriterCache {
    enum OpenConversation: Equatable {
        case unknown
        case none
        case some(String)
    }

    struct ContactState {
        /// nil until read from the database.
        var hasDisplayName: Bool?
        /// nil until a message brings attributes to merge.
        var attributes: [String: String]?
        var openConversation: OpenConversation = .unknown
    }

    struct ConversationState {
        var contactID: String
        var isOpen: Bool
        var lastMessageAt: Int64
    }

    struct ThreadKey: Hashable {
        var channel: Channel
        var key: String
    }

    var contactByIdentity: [Identity: String] = [:]
    var contacts: [String: ContactState] = [:]
    var conversations: [String: ConversationState] = [:]
    var conversationByKey: [ThreadKey: String] = [:]
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    /// Keeps the maps' storage: under a stream of new senders they fill up to the limit again, and
    /// growing from empty would rehash every entry several times on the way (a few percent of the
    /// writer's time in the webhook benchmark).
    mutating func removeAll() {
        contactByIdentity.removeAll(keepingCapacity: true)
        contacts.removeAll(keepingCapacity: true)
        conversations.removeAll(keepingCapacity: true)
        conversationByKey.removeAll(keepingCapacity: true)
    }

    /// Called between transactions only, never inside one.
    mutating func trimIfNeeded() {
        if contactByIdentity.count > limit || contacts.count > limit
            || conversations.count > limit || conversationByKey.count > limit {
            removeAll()
        }
    }
}
