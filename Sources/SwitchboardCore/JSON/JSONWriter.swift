/// Builds JSON straight into a byte buffer, for responses on the hot path: no intermediate
/// `JSONValue`, no `String` concatenation.
///
/// Commas are placed automatically: call `beginObject()`, then `key(_:)` and a value for each
/// member (or the `field` shorthands), then `endObject()`. Strings are escaped for JSON and for
/// embedding in JavaScript: `"`, `\`, control characters, U+2028 and U+2029.
///
///     var writer = JSONWriter()
///     writer.object { w in
///         w.field("id", messageID)
///         w.field("duplicate", false)
///     }
///     send(writer.bytes)
public struct JSONWriter: Sendable {
    public internal(set) var bytes: [UInt8]
    @usableFromInline internal var needsComma = false

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Continues writing after existing bytes (a response head, a previous document).
    public init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The bytes written so far as a string.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Forgets what was written, keeping the buffer's capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    // MARK: Structure

    @inline(__always) @usableFromInline
    internal mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes a member name; the next value written is its value.
    public mutating func key(_ key: String) {
        separate()
        appendQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// `key(_:)` for a name spelled in the source, which needs no escaping (plain ASCII without
    /// quotes, backslashes or control characters; checked in debug builds): copied as it is,
    /// without the look at every byte that `key(_:)` takes. For documents written for every
    /// message (`DecisionExplanation.writeStored`). A label, not an overload of `key(_:)`: Swift
    /// gives a string literal to the `String` overload.
    public mutating func key(static name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { utf8 in
            assert(!Self.mayNeedEscaping(utf8), "\(name) needs escaping: use key(_:)")
            bytes.append(contentsOf: utf8)
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// `{ body }`
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginObject()
        body(&self)
        endObject()
    }

    /// `[ body ]`
    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        beginArray()
        body(&self)
        endArray()
    }

    // MARK: Values

    public mutating func value(_ string: String) {
        separate()
        appendQuoted(string)
        needsComma = true
    }

    public mutating func value(_ bool: Bool) {
        separate()
        if bool {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e")])
        }
        needsComma = true
    }

    public mutating func value(_ int: Int) { value(Int64(int)) }

    public mutating func value(_ int: Int64) {
        separate()
        appendInteger(int)
        needsComma = true
    }

    /// Writes the shortest text that reads back as the same double; NaN and infinity, which JSON
    /// cannot express, are written as `null`.
    public mutating func value(_ double: Double) {
        separate()
        if double.isFinite {
            if double == double.rounded(.towardZero), abs(double) < 1e15 {
                appendInteger(Int64(double))
                bytes.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")])
            } else {
                // The same digits as `description`, without making a string of them first.
                var digits = DigitsStream(bytes: [])
                swap(&digits.bytes, &bytes)
                double.write(to: &digits)
                swap(&digits.bytes, &bytes)
            }
        } else {
            appendNull()
        }
        needsComma = true
    }

    public mutating func nullValue() {
        separate()
        appendNull()
        needsComma = true
    }

    /// Writes already-serialized JSON as a value (the caller vouches that it is valid).
    public mutating func rawValue(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    public mutating func value(_ value: JSONValue) {
        separate()
        write(value, sortedKeys: false)
        needsComma = true
    }

    // MARK: Members

    public mutating func field(_ name: String, _ value: String) {
        key(name)
        self.value(value)
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        self.value(value)
    }

    public mutating func field(_ name: String, _ value: Int) {
        key(name)
        self.value(value)
    }

    public mutating func field(_ name: String, _ value: Int64) {
        key(name)
        self.value(value)
    }

    public mutating func field(_ name: String, _ value: Double) {
        key(name)
        self.value(value)
    }

    public mutating func field(_ name: String, _ value: JSONValue) {
        key(name)
        self.value(value)
    }

    /// `field(_:_:)` with a name spelled in the source: see `key(static:)`.
    public mutating func field(static name: StaticString, _ value: String) {
        key(static: name)
        self.value(value)
    }

    /// `field(_:_:)` with a name spelled in the source: see `key(static:)`.
    public mutating func field(static name: StaticString, _ value: Bool) {
        key(static: name)
        self.value(value)
    }

    /// `field(_:_:)` with a name spelled in the source: see `key(static:)`.
    public mutating func field(static name: StaticString, _ value: Int) {
        key(static: name)
        self.value(value)
    }

    /// `field(_:_:)` with a name spelled in the source: see `key(static:)`.
    public mutating func field(static name: StaticString, _ value: Double) {
        key(static: name)
        self.value(value)
    }

    /// Writes the member only when the value is present.
    public mutating func fieldIfPresent(_ name: String, _ value: String?) {
        guard let value else { return }
        field(name, value)
    }

    /// Writes the member only when the value is present.
    public mutating func fieldIfPresent(_ name: String, _ value: Int?) {
        guard let value else { return }
        field(name, value)
    }

    /// An object of strings, keys sorted (stable output for logs, tests and diffs).
    public mutating func field(_ name: String, sortedStrings values: [String: String]) {
        field(name, object: { w in for (key, value) in values.sorted(by: { $0.key < $1.key }) { w.field(key, value) } })
    }

    public mutating func field(_ name: String, object body: (inout JSONWriter) -> Void) {
        key(name)
        object(body)
    }

    public mutating func field(_ name: String, array body: (inout JSONWriter) -> Void) {
        key(name)
        array(body)
    }

    // MARK: Encoding

    @usableFromInline
    internal mutating func appendNull() {
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    internal mutating func appendInteger(_ int: Int64) {
        if int >= 0, int < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(int))
            return
        }
        var magnitude = int.magnitude
        // 20 digits hold UInt64.max; fill from the end.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var position = 20
            repeat {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if int < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[position..<20]))
        }
    }

    /// Appends `"string"` with JSON escapes, copying unescaped runs in bulk.
    internal mutating func appendQuoted(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        // Native and small strings (all of them on Linux) lend their UTF-8 without a copy of the string.
        if string.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) == nil {
            var string = string
            string.withUTF8 { utf8 in appendEscaped(utf8) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether `appendEscaped` would find anything to escape in `utf8`, conservatively: true for any
    /// quote, backslash, control or non-ASCII byte. Reads whole words, so that the short names and
    /// values most documents are made of cost a word or two, not a loop over their bytes.
    static func mayNeedEscaping(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return false }
        let count = utf8.count
        if count < 8 {
            // Pad with spaces, which need no escaping.
            var word: UInt64 = 0x2020_2020_2020_2020
            withUnsafeMutableBytes(of: &word) { padded in
                for k in 0..<count { padded[k] = base[k] }
            }
            return JSONScanner.hasSpecialByte(word)
        }
        var k = 0
        while count - k > 8 {
            if JSONScanner.hasSpecialByte(UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self)) { return true }
            k += 8
        }
        // The last eight bytes, overlapping words already read when the count is not a multiple of eight.
        return JSONScanner.hasSpecialByte(UnsafeRawPointer(base + count - 8).loadUnaligned(as: UInt64.self))
    }

    internal mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard let base = utf8.baseAddress else { return }
        guard Self.mayNeedEscaping(utf8) else {
            bytes.append(contentsOf: utf8)
            return
        }
        let count = utf8.count
        var runStart = 0
        var k = 0
        while k < count {
            // Skip eight plain ASCII bytes at a time (no quote, backslash, control or non-ASCII byte).
            while count - k >= 8, !JSONScanner.hasSpecialByte(UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self)) {
                k += 8
            }
            guard k < count else { break }
            let byte = base[k]
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte != 0xE2 {
                k += 1
                continue
            }
            if byte == 0xE2 {
                // U+2028 and U+2029 (E2 80 A8 / E2 80 A9) end lines in JavaScript.
                guard k + 2 < count, base[k + 1] == 0x80, base[k + 2] == 0xA8 || base[k + 2] == 0xA9 else {
                    k += 1
                    continue
                }
            }
            if k > runStart { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: k - runStart)) }
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0xE2:
                let last: UInt8 = base[k + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9")
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "2"), UInt8(ascii: "0"),
                                          UInt8(ascii: "2"), last])
                k += 3
                runStart = k
                continue
            default:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
            k += 1
            runStart = k
        }
        if count > runStart { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart)) }
    }
}

/// Receives `Double.write(to:)`'s digits for `JSONWriter.value(_: Double)`, straight into the
/// writer's bytes (swapped in and out, not copied). Not a conformance of `JSONWriter` itself, which
/// would let any `print(…, to:)` write unescaped text into a document.
private struct DigitsStream: TextOutputStream {
    var bytes: [UInt8]

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// What `Double.write(to:)` calls with its ASCII digits; the protocol's default would make a
    /// `String` of them first and call `write(_:)`, which gives the same bytes.
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }
}
