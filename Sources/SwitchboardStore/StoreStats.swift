/// Sizes of what the store holds, for `switchboard status`, the JSON status and `/metrics`.
/// Counts come from a counters table kept in the same transactions as the rows, so reading them
/// costs nothing however large the store grows.
public struct StoreStats: Sendable, Hashable {
    public var messages: Int
    public var contacts: Int
    public var conversations: Int
    public var quarantined: Int
    /// The database file plus its write-ahead log, in bytes.
    public var databaseBytes: Int64

    public init(messages: Int, contacts: Int, conversations: Int, quarantined: Int, databaseBytes: Int64) {
        self.messages = messages
        self.contacts = contacts
        self.conversations = conversations
        self.quarantined = quarantined
        self.databaseBytes = databaseBytes
    }
}
