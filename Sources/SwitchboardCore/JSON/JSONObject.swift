/// A JSON object that keeps its members in document order.
///
/// Messages are small objects (a dozen keys), so members live in one array and a lookup is a
/// linear scan of short strings, which beats hashing at that size. Objects with more than
/// `indexThreshold` members also carry a key → position index. Keys are unique: the parser rejects
/// duplicates, and setting an existing key replaces its value in place.
///
/// Equality and hashing ignore member order, as JSON does.
public struct JSONObject: Sendable, Hashable, RandomAccessCollection, CustomStringConvertible {
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Above this many members, lookups go through a dictionary.
    public static let indexThreshold = 12

    @usableFromInline internal var members: [Member]
    @usableFromInline internal var index: [String: Int]?

    public init() {
        members = []
        index = nil
    }

    /// Builds an object from members; a later member with an existing key replaces the earlier value.
    public init(_ members: [Member]) {
        self.init()
        for member in members { self[member.key] = member.value }
    }

    /// For the parser: members already known to have unique keys, and the index if it built one.
    internal init(uniqueMembers: [Member], index: [String: Int]?) {
        self.members = uniqueMembers
        if index == nil, uniqueMembers.count > JSONObject.indexThreshold {
            var built = [String: Int](minimumCapacity: uniqueMembers.count)
            for (position, member) in uniqueMembers.enumerated() { built[member.key] = position }
            self.index = built
        } else {
            self.index = index
        }
    }

    // MARK: Collection

    public var startIndex: Int { 0 }
    public var endIndex: Int { members.count }
    public subscript(position: Int) -> Member { members[position] }

    /// The keys in document order.
    public var keys: [String] { members.map(\.key) }

    // MARK: Lookup

    @inlinable
    public func position(of key: String) -> Int? {
        if let index { return index[key] }
        var position = 0
        let count = members.count
        let keyLength = key.utf8.count
        while position < count {
            let candidate = members[position].key
            if candidate.utf8.count == keyLength, candidate == key { return position }
            position += 1
        }
        return nil
    }

    @inlinable
    public subscript(key: String) -> JSONValue? {
        get {
            guard let position = position(of: key) else { return nil }
            return members[position].value
        }
        set {
            if let position = position(of: key) {
                if let newValue {
                    members[position].value = newValue
                } else {
                    removeMember(at: position)
                }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
                if index != nil {
                    index![key] = members.count - 1
                } else if members.count > JSONObject.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = position(of: key) else { return nil }
        let value = members[position].value
        removeMember(at: position)
        return value
    }

    @usableFromInline
    internal mutating func removeMember(at position: Int) {
        members.remove(at: position)
        if index != nil { rebuildIndex() }
    }

    @usableFromInline
    internal mutating func rebuildIndex() {
        guard members.count > JSONObject.indexThreshold else {
            index = nil
            return
        }
        var built = [String: Int](minimumCapacity: members.count)
        for (position, member) in members.enumerated() { built[member.key] = position }
        index = built
    }

    // MARK: Equality ignores order

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for member in lhs.members where rhs[member.key] != member.value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for member in members {
            var memberHasher = Hasher()
            memberHasher.combine(member.key)
            memberHasher.combine(member.value)
            combined = combined &+ memberHasher.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(combined)
    }

    public var description: String { JSONValue.object(self).compactString }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { Member(key: $0.0, value: $0.1) })
    }
}
