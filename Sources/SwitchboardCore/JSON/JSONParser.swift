/// A strict RFC 8259 parser over bytes, written for the ingest hot path: every posted message goes
/// through it.
///
/// It validates UTF-8 fully (no overlongs, no surrogates, nothing above U+10FFFF), decodes `\u`
/// escapes including surrogate pairs (a lone surrogate is an error: it cannot be a Swift string),
/// rejects duplicate keys, limits nesting depth, and rejects a byte order mark and anything after
/// the value. Strings without escapes are created straight from the input bytes; strings with
/// escapes are decoded into one reused scratch buffer.
public struct JSONParser: Sendable {
    /// Containers (objects and arrays) nested deeper than this are rejected.
    public var maxDepth: Int

    public init(maxDepth: Int = 64) {
        self.maxDepth = maxDepth
    }

    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }

    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }

    public func parse(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            throw JSONParseError(reason: "the document is empty", offset: 0, line: 1, column: 1)
        }
        var scanner = JSONScanner(base: base.assumingMemoryBound(to: UInt8.self), count: buffer.count, maxDepth: maxDepth)
        do throws(JSONParseError) {
            return try scanner.parseDocument()
        } catch {
            var located = error
            (located.line, located.column) = JSONScanner.lineAndColumn(of: error.offset,
                                                                       in: base.assumingMemoryBound(to: UInt8.self),
                                                                       count: buffer.count)
            throw located
        }
    }
}

extension JSONValue {
    /// Parses a document with the default depth limit (64).
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        self = try JSONParser().parse(bytes)
    }

    public init(parsing text: String) throws(JSONParseError) {
        self = try JSONParser().parse(text)
    }
}

// MARK: - The scanner

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

@inline(__always) private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

/// The parsing state for one document. Errors are thrown with an offset and a path; the caller
/// fills in line and column.
struct JSONScanner {
    let p: UnsafePointer<UInt8>
    let end: Int
    let maxDepth: Int
    var i = 0
    var depth = 0
    var scratch: [UInt8] = []

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.p = base
        self.end = count
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if end >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF {
            throw fail("the document starts with a byte order mark; save it as UTF-8 without BOM", at: 0)
        }
        skipWhitespace()
        if i == end { throw fail("the document is empty") }
        let value = try parseValue()
        skipWhitespace()
        if i != end {
            throw fail("unexpected \(found()) after the JSON value")
        }
        return value
    }

    // MARK: Errors

    func fail(_ reason: String, at offset: Int? = nil, path: JSONPath = .root) -> JSONParseError {
        JSONParseError(reason: reason, offset: offset ?? i, line: 0, column: 0, path: path)
    }

    /// Describes the byte at the current position for "…, found X".
    func found(at offset: Int? = nil) -> String {
        let at = offset ?? i
        guard at < end else { return "the end of the document" }
        let byte = p[at]
        switch byte {
        case 0x0A, 0x0D: return "a line break"
        case 0x09: return "a tab"
        case 0..<0x20, 0x7F: return "control character 0x" + hex2(byte)
        case 0x20: return "a space"
        case 0x80...: return "byte 0x" + hex2(byte)
        default:
            if byte == quote { return "'\"'" }
            return "'" + String(UnicodeScalar(byte)) + "'"
        }
    }

    private func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
    }

    static func lineAndColumn(of offset: Int, in p: UnsafePointer<UInt8>, count: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        var k = 0
        let limit = min(offset, count)
        while k < limit {
            let byte = p[k]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            k += 1
        }
        return (line, column)
    }

    // MARK: Values

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            let byte = p[i]
            if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                i += 1
            } else {
                return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard i < end else { throw fail("expected a value, found the end of the document") }
        switch p[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case quote: return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case UInt8(ascii: "'"):
            throw fail("strings must use double quotes, found \(found())")
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            throw fail("expected a value, found \(found()) (a trailing comma is not allowed)")
        default:
            throw fail("expected a value (object, array, string, number, true, false or null), found \(found())")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let bytes = literal.utf8Start
        guard end - i >= count else {
            throw fail("invalid literal; expected \(literal)")
        }
        for k in 0..<count where p[i + k] != bytes[k] {
            throw fail("invalid literal; expected \(literal)")
        }
        i += count
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        depth += 1
        if depth > maxDepth { throw fail("nesting is deeper than \(maxDepth) levels") }
        i += 1
        skipWhitespace()
        if i < end, p[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(JSONObject())
        }
        var members: [JSONObject.Member] = []
        members.reserveCapacity(8)
        var index: [String: Int]? = nil
        while true {
            guard i < end, p[i] == quote else {
                if members.isEmpty {
                    throw fail("expected a key in double quotes or '}', found \(found())")
                }
                if i < end, p[i] == UInt8(ascii: "}") {
                    throw fail("expected a key in double quotes after ',', found '}' (a trailing comma is not allowed)")
                }
                throw fail("expected a key in double quotes after ',', found \(found())")
            }
            let keyOffset = i
            let key = try parseString()
            if let existing = index {
                if existing[key] != nil {
                    throw fail("duplicate key \"\(key)\"", at: keyOffset, path: JSONPath([.key(key)]))
                }
            } else {
                let keyLength = key.utf8.count
                for member in members where member.key.utf8.count == keyLength && member.key == key {
                    throw fail("duplicate key \"\(key)\"", at: keyOffset, path: JSONPath([.key(key)]))
                }
            }
            skipWhitespace()
            guard i < end, p[i] == UInt8(ascii: ":") else {
                throw fail("expected ':' after object key, found \(found())", path: JSONPath([.key(key)]))
            }
            i += 1
            let value: JSONValue
            do throws(JSONParseError) {
                value = try parseValue()
            } catch {
                var inner = error
                inner.path.components.insert(.key(key), at: 0)
                throw inner
            }
            members.append(JSONObject.Member(key: key, value: value))
            if index != nil {
                index![key] = members.count - 1
            } else if members.count > JSONObject.indexThreshold {
                var built = [String: Int](minimumCapacity: members.count * 2)
                for (position, member) in members.enumerated() { built[member.key] = position }
                index = built
            }
            skipWhitespace()
            if i < end {
                let byte = p[i]
                if byte == UInt8(ascii: ",") {
                    i += 1
                    skipWhitespace()
                    continue
                }
                if byte == UInt8(ascii: "}") {
                    i += 1
                    break
                }
            }
            throw fail("expected ',' or '}' after object member, found \(found())")
        }
        depth -= 1
        return .object(JSONObject(uniqueMembers: members, index: index))
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        depth += 1
        if depth > maxDepth { throw fail("nesting is deeper than \(maxDepth) levels") }
        i += 1
        skipWhitespace()
        if i < end, p[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array([])
        }
        var elements: [JSONValue] = []
        elements.reserveCapacity(8)
        while true {
            let element: JSONValue
            do throws(JSONParseError) {
                element = try parseValue()
            } catch {
                var inner = error
                inner.path.components.insert(.index(elements.count), at: 0)
                throw inner
            }
            elements.append(element)
            skipWhitespace()
            if i < end {
                let byte = p[i]
                if byte == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if byte == UInt8(ascii: "]") {
                    i += 1
                    break
                }
            }
            throw fail("expected ',' or ']' after array element, found \(found())")
        }
        depth -= 1
        return .array(elements)
    }

    // MARK: Strings

    /// Parses a string starting at the opening quote; leaves `i` after the closing quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = i + 1
        var k = start
        while true {
            // Fast scan over plain ASCII, eight bytes at a time where possible.
            while end - k >= 8 {
                let word = UnsafeRawPointer(p + k).loadUnaligned(as: UInt64.self)
                if JSONScanner.hasSpecialByte(word) { break }
                k += 8
            }
            while k < end {
                let byte = p[k]
                if byte &- 0x20 < 0x60, byte != quote, byte != backslash {
                    k += 1
                } else {
                    break
                }
            }
            guard k < end else {
                throw fail("unterminated string (it starts here)", at: start - 1)
            }
            let byte = p[k]
            if byte == quote {
                i = k + 1
                return String(decoding: UnsafeBufferPointer(start: p + start, count: k - start), as: UTF8.self)
            }
            if byte == backslash {
                return try parseEscapedString(start: start, firstEscape: k)
            }
            if byte < 0x20 {
                throw fail("\(found(at: k)) must be escaped inside a string", at: k)
            }
            k = try validateUTF8Sequence(at: k)
        }
    }

    /// Whether any of the eight bytes is a quote, a backslash, a control character or non-ASCII.
    @inline(__always)
    static func hasSpecialByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        // A zero byte in x shows as a high bit in (x - 1) & ~x; bytes below 0x20 the same way.
        let hasQuote = (quotes &- ones) & ~quotes
        let hasBackslash = (backslashes &- ones) & ~backslashes
        let hasControl = (word &- (ones &* 0x20)) & ~word
        return ((hasQuote | hasBackslash | hasControl) & highs) | (word & highs) != 0
    }

    mutating func parseEscapedString(start: Int, firstEscape: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: p + start, count: firstEscape - start))
        var k = firstEscape
        while true {
            guard k < end else {
                throw fail("unterminated string (it starts here)", at: start - 1)
            }
            let byte = p[k]
            if byte == quote {
                i = k + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == backslash {
                k = try decodeEscape(at: k)
                continue
            }
            if byte < 0x20 {
                throw fail("\(found(at: k)) must be escaped inside a string", at: k)
            }
            let runStart = k
            if byte < 0x80 {
                k += 1
                while k < end {
                    let next = p[k]
                    if next &- 0x20 < 0x60, next != quote, next != backslash { k += 1 } else { break }
                }
            } else {
                k = try validateUTF8Sequence(at: k)
            }
            scratch.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: k - runStart))
        }
    }

    /// Decodes the escape at `k` (the backslash) into `scratch`; returns the offset after it.
    mutating func decodeEscape(at k: Int) throws(JSONParseError) -> Int {
        guard k + 1 < end else {
            throw fail("unterminated string", at: k)
        }
        let decoded: UInt8
        switch p[k + 1] {
        case quote: decoded = quote
        case backslash: decoded = backslash
        case UInt8(ascii: "/"): decoded = UInt8(ascii: "/")
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            let unit = try hex4(at: k + 2)
            var scalar = UInt32(unit)
            var next = k + 6
            if unit >= 0xD800, unit <= 0xDBFF {
                guard next + 1 < end, p[next] == backslash, p[next + 1] == UInt8(ascii: "u") else {
                    throw fail("\\u\(hex(unit)) is a lone high surrogate; it must be followed by a \\uDC00-\\uDFFF escape", at: k)
                }
                let low = try hex4(at: next + 2)
                guard low >= 0xDC00, low <= 0xDFFF else {
                    throw fail("\\u\(hex(unit)) is a high surrogate followed by \\u\(hex(low)), which is not a low surrogate", at: next)
                }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                next += 6
            } else if unit >= 0xDC00, unit <= 0xDFFF {
                throw fail("\\u\(hex(unit)) is a lone low surrogate", at: k)
            }
            appendUTF8(scalar)
            return next
        default:
            throw fail("invalid escape '\\\(found(at: k + 1).trimmingQuotes)' in string", at: k)
        }
        scratch.append(decoded)
        return k + 2
    }

    private func hex(_ unit: UInt16) -> String {
        let text = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - text.count) + text
    }

    func hex4(at k: Int) throws(JSONParseError) -> UInt16 {
        guard end - k >= 4 else {
            throw fail("\\u must be followed by four hex digits", at: k - 2)
        }
        var value: UInt16 = 0
        for offset in 0..<4 {
            let byte = p[k + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw fail("\\u must be followed by four hex digits, found \(found(at: k + offset))", at: k + offset)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (scalar >> 6)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (scalar >> 12)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (scalar >> 18)))
            scratch.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// Checks one multi-byte UTF-8 sequence starting at `k` (RFC 3629: shortest form, no
    /// surrogates, at most U+10FFFF) and returns the offset after it.
    func validateUTF8Sequence(at k: Int) throws(JSONParseError) -> Int {
        let lead = p[k]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default:
            throw fail("invalid UTF-8: byte 0x\(hex2(lead)) cannot start a character", at: k)
        }
        guard end - k >= length else {
            throw fail("invalid UTF-8: the character starting with byte 0x\(hex2(lead)) is cut off", at: k)
        }
        let second = p[k + 1]
        guard second >= low, second <= high else {
            throw fail("invalid UTF-8: byte 0x\(hex2(second)) cannot follow 0x\(hex2(lead))", at: k + 1)
        }
        var offset = 2
        while offset < length {
            let byte = p[k + offset]
            guard byte & 0xC0 == 0x80 else {
                throw fail("invalid UTF-8: byte 0x\(hex2(byte)) is not a continuation byte", at: k + offset)
            }
            offset += 1
        }
        return k + length
    }

    // MARK: Numbers

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = i
        var negative = false
        if p[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < end, isDigit(p[i]) else {
            throw fail("expected a digit after '-', found \(found())")
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var truncated = false
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i < end, isDigit(p[i]) {
                throw fail("numbers must not have leading zeros", at: start)
            }
        } else {
            while i < end, isDigit(p[i]) {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(p[i] &- UInt8(ascii: "0"))
                    digits += 1
                } else {
                    truncated = true
                }
                i += 1
            }
        }
        var isInteger = true
        var fractionDigits = 0
        if i < end, p[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < end, isDigit(p[i]) else {
                throw fail("expected a digit after '.', found \(found())")
            }
            while i < end, isDigit(p[i]) {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(p[i] &- UInt8(ascii: "0"))
                    digits += 1
                    fractionDigits += 1
                } else {
                    truncated = true
                }
                i += 1
            }
        }
        var exponent = 0
        if i < end, p[i] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            i += 1
            var negativeExponent = false
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                negativeExponent = p[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < end, isDigit(p[i]) else {
                throw fail("expected a digit in the exponent, found \(found())")
            }
            while i < end, isDigit(p[i]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(p[i] &- UInt8(ascii: "0")) }
                i += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        if isInteger, !truncated {
            if negative {
                if mantissa <= UInt64(Int64.max) { return .int(-Int64(mantissa)) }
                if mantissa == UInt64(Int64.max) + 1 { return .int(Int64.min) }
            } else if mantissa <= UInt64(Int64.max) {
                return .int(Int64(mantissa))
            }
        }
        // Exact fast path: the mantissa and the power of ten are both exact doubles, so one
        // multiplication or division rounds correctly.
        if !truncated, mantissa <= 1 << 53 {
            let power = exponent - fractionDigits
            if power >= -22, power <= 22 {
                var value = Double(mantissa)
                if power < 0 { value /= JSONScanner.powerOfTen(-power) } else { value *= JSONScanner.powerOfTen(power) }
                return .double(negative ? -value : value)
            }
        }
        let text = String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw fail("number \(text.count > 40 ? String(text.prefix(40)) + "…" : text) is too large", at: start)
        }
        return .double(value)
    }

    @inline(__always)
    static func powerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }
}

private extension String {
    var trimmingQuotes: String {
        if hasPrefix("'"), hasSuffix("'"), count >= 2 { return String(dropFirst().dropLast()) }
        return self
    }
}
