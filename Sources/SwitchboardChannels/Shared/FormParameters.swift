/// Name/value pairs of an `application/x-www-form-urlencoded` body or a query string, in the
/// order they were sent, repeated names kept (Twilio signs every value of a repeated name).
///
/// Decoding is lenient the way form decoders in providers' SDKs are (Python's `parse_qsl`): `+`
/// is a space, a `%` not followed by two hex digits stays as it is, and invalid UTF-8 is
/// replaced, so a strange but signed body still verifies. Pure; tested and fuzzed as such.
public struct FormParameters: Sendable, Hashable, Sequence {
    public struct Pair: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var pairs: [Pair]

    public init(_ pairs: [Pair] = []) { self.pairs = pairs }

    public init(_ pairs: [(String, String)]) { self.pairs = pairs.map { Pair(name: $0.0, value: $0.1) } }

    /// Parses an encoded body or query. Empty segments (`a=1&&b=2`) are skipped, a segment
    /// without `=` is a name with an empty value.
    public init(encoded bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        pairs = array.withUnsafeBufferPointer(Self.decodePairs)
    }

    /// One pass over each segment finds its `=` and whether its name or value holds an escape
    /// (`%` or `+`); a part without one becomes its `String` directly.
    private static func decodePairs(_ bytes: UnsafeBufferPointer<UInt8>) -> [Pair] {
        var segments = 1
        for b in bytes where b == UInt8(ascii: "&") { segments += 1 }
        var pairs: [Pair] = []
        pairs.reserveCapacity(segments)
        var start = 0
        let end = bytes.count
        while start < end {
            var stop = start
            var eq = -1
            var nameEscaped = false, valueEscaped = false
            while stop < end {
                let b = bytes[stop]
                if b == UInt8(ascii: "&") { break }
                if b == UInt8(ascii: "=") {
                    if eq < 0 { eq = stop }
                } else if b == UInt8(ascii: "%") || b == UInt8(ascii: "+") {
                    if eq < 0 { nameEscaped = true } else { valueEscaped = true }
                }
                stop += 1
            }
            if stop > start {
                let nameEnd = eq < 0 ? stop : eq
                let name = decode(bytes, start, nameEnd, escaped: nameEscaped)
                let value = eq < 0 ? "" : decode(bytes, eq + 1, stop, escaped: valueEscaped)
                pairs.append(Pair(name: name, value: value))
            }
            start = stop + 1
        }
        return pairs
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, escaped: Bool) -> String {
        let part = UnsafeBufferPointer(rebasing: bytes[start..<end])
        return escaped ? decode(part) : String(decoding: part, as: UTF8.self)
    }

    public init(encoded text: String) { self.init(encoded: Array(text.utf8)) }

    public func makeIterator() -> IndexingIterator<[Pair]> { pairs.makeIterator() }
    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }

    /// The first value for `name` (exact, case-sensitive: provider parameter names are).
    public subscript(name: String) -> String? {
        for pair in pairs where pair.name == name { return pair.value }
        return nil
    }

    public func values(for name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    public mutating func append(name: String, value: String) { pairs.append(Pair(name: name, value: value)) }

    /// Every pair except those named `name`.
    public func removing(_ name: String) -> FormParameters { FormParameters(pairs.filter { $0.name != name }) }

    /// The pairs encoded again (RFC 3986 unreserved characters kept, space as `+`), for clients and tests.
    public var encoded: String {
        pairs.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
    }

    /// `+` as a space and `%XX` escapes decoded; a `%` without two hex digits stays as it is.
    static func decode<Bytes: RandomAccessCollection>(_ slice: Bytes) -> String where Bytes.Element == UInt8, Bytes.Index == Int {
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var i = slice.startIndex
        while i < slice.endIndex {
            let b = slice[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
                i += 1
            } else if b == UInt8(ascii: "%"), i + 2 < slice.endIndex,
                      let hi = hexValue(slice[i + 1]), let lo = hexValue(slice[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    public static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            case 0x20:
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
