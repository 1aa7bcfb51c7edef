/// Header fields in the order they were sent, with case-insensitive lookup by name.
/// Names keep the case they were written in; lookups ignore it (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init() { fields = [] }
    public init(_ pairs: [(String, String)]) { fields = pairs.map { Field(name: $0.0, value: $0.1) } }
    public init(dictionaryLiteral elements: (String, String)...) { fields = elements.map { Field(name: $0.0, value: $0.1) } }
    init(fields: [Field]) { self.fields = fields }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// The first value for `name`, or nil.
    public subscript(name: String) -> String? {
        for f in fields where HTTPSyntax.caseInsensitiveEquals(f.name, name) { return f.value }
        return nil
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        fields.filter { HTTPSyntax.caseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field, keeping any existing ones with the same name.
    public mutating func add(name: String, value: String) { fields.append(Field(name: name, value: value)) }

    /// Removes every field named `name`, then appends one.
    public mutating func replaceOrAdd(name: String, value: String) {
        if let i = fields.firstIndex(where: { HTTPSyntax.caseInsensitiveEquals($0.name, name) }) {
            fields[i].value = value
            var j = i + 1
            while j < fields.count {
                if HTTPSyntax.caseInsensitiveEquals(fields[j].name, name) { fields.remove(at: j) } else { j += 1 }
            }
        } else {
            add(name: name, value: value)
        }
    }

    public mutating func remove(name: String) {
        fields.removeAll { HTTPSyntax.caseInsensitiveEquals($0.name, name) }
    }

    /// Whether the comma-separated list in the `name` fields contains `token` (case-insensitive),
    /// as for `Connection: keep-alive, Upgrade`.
    public func containsToken(_ token: String, in name: String) -> Bool {
        for value in values(for: name) {
            for part in value.split(separator: ",") {
                let trimmed = part.trimmingOWS()
                if HTTPSyntax.caseInsensitiveEquals(String(trimmed), token) { return true }
            }
        }
        return false
    }

    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }
}

extension Substring {
    func trimmingOWS() -> Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
