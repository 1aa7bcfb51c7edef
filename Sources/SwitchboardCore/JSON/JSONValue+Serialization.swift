/// Writing `JSONValue` trees: compact for the wire, pretty with sorted keys for people (the CLI,
/// docs), and canonical (compact, sorted keys) for comparing two documents byte for byte, which is
/// how a reload decides whether an adapter's settings changed.
extension JSONValue {
    /// Serializes the value. `pretty` indents by two spaces; `sortedKeys` orders object keys by
    /// their UTF-8 bytes (code point order) instead of document order.
    public func serialized(pretty: Bool = false, sortedKeys: Bool = false) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        if pretty {
            writer.writePretty(self, indent: 0, sortedKeys: sortedKeys)
        } else {
            writer.write(self, sortedKeys: sortedKeys)
        }
        return writer.bytes
    }

    /// Compact, keys in document order.
    public var compactString: String { String(decoding: serialized(), as: UTF8.self) }

    /// Indented, keys sorted: for people.
    public var prettyString: String { String(decoding: serialized(pretty: true, sortedKeys: true), as: UTF8.self) }

    /// Compact with sorted keys: equal documents give equal bytes whatever their key order or spacing.
    public var canonicalBytes: [UInt8] { serialized(pretty: false, sortedKeys: true) }
}

extension JSONWriter {
    internal mutating func write(_ value: JSONValue, sortedKeys: Bool) {
        switch value {
        case .null: appendNull()
        case .bool(let bool):
            needsComma = false
            self.value(bool)
        case .int(let int): appendInteger(int)
        case .double(let double):
            needsComma = false
            self.value(double)
        case .string(let string): appendQuoted(string)
        case .array(let array):
            bytes.append(UInt8(ascii: "["))
            var position = 0
            while position < array.count {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                write(array[position], sortedKeys: sortedKeys)
                position += 1
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            let members = sortedKeys ? JSONWriter.sorted(object) : object.members
            var position = 0
            while position < members.count {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                appendQuoted(members[position].key)
                bytes.append(UInt8(ascii: ":"))
                write(members[position].value, sortedKeys: sortedKeys)
                position += 1
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    internal mutating func writePretty(_ value: JSONValue, indent: Int, sortedKeys: Bool) {
        switch value {
        case .array(let array) where !array.isEmpty:
            bytes.append(UInt8(ascii: "["))
            for (position, element) in array.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent: indent + 1)
                writePretty(element, indent: indent + 1, sortedKeys: sortedKeys)
            }
            newline(indent: indent)
            bytes.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            bytes.append(UInt8(ascii: "{"))
            let members = sortedKeys ? JSONWriter.sorted(object) : object.members
            for (position, member) in members.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent: indent + 1)
                appendQuoted(member.key)
                bytes.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                writePretty(member.value, indent: indent + 1, sortedKeys: sortedKeys)
            }
            newline(indent: indent)
            bytes.append(UInt8(ascii: "}"))
        default:
            write(value, sortedKeys: sortedKeys)
        }
    }

    private mutating func newline(indent: Int) {
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    private static func sorted(_ object: JSONObject) -> [JSONObject.Member] {
        object.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}
