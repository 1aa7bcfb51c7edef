/// Where a value sits inside a JSON document, for error messages that an admin can act on.
///
/// Written the way the admin would navigate `adapters.json`: keys joined by dots
/// (`adapters.support-mail.interval`), array positions in brackets (`listeners.tcp.trusted_proxies[2]`),
/// and keys that are not plain words (`[A-Za-z0-9_-]+`) quoted in brackets (`adapters["my adapter"]`).
/// The document itself is written `(top level)`.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    public static let root = JSONPath()

    public var isRoot: Bool { components.isEmpty }

    /// This path with a key appended.
    public func appending(key: String) -> JSONPath {
        var copy = self
        copy.components.append(.key(key))
        return copy
    }

    /// This path with an array position appended.
    public func appending(index: Int) -> JSONPath {
        var copy = self
        copy.components.append(.index(index))
        return copy
    }

    /// The last key of the path, if the path ends in a key.
    public var lastKey: String? {
        if case .key(let key)? = components.last { return key }
        return nil
    }

    public var description: String {
        if components.isEmpty { return "(top level)" }
        var out = ""
        for component in components {
            switch component {
            case .index(let index):
                out += "[\(index)]"
            case .key(let key):
                if JSONPath.isPlain(key) {
                    if !out.isEmpty { out += "." }
                    out += key
                } else {
                    var writer = JSONWriter(capacity: key.utf8.count + 2)
                    writer.value(key)
                    out += "[" + String(decoding: writer.bytes, as: UTF8.self) + "]"
                }
            }
        }
        return out
    }

    private static func isPlain(_ key: String) -> Bool {
        guard !key.isEmpty else { return false }
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }
}
