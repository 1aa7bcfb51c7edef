/// Turns the bytes an IMAP server sends into `IMAPResponse` values. Pure: no I/O. The client
/// appends whatever arrived (a byte, a TCP segment, megabytes) and takes complete responses out
/// with `next()`, which answers nil until one is complete ("need more data").
///
/// Framing follows RFC 3501 §4.3: a response is a line, except that a line ending in `{n}`
/// (or `{n+}`, `~{n}`) is followed by exactly n bytes of literal and then the rest of the
/// response. Literal bytes are never scanned for line ends, so a 25 MB mail costs one pass;
/// the size announced in `{n}` is checked against `maxLiteralBytes` before any of it is held,
/// and the text of one response against `maxLineBytes` (libcurl's IMAP layer silently cut
/// lines over 64 KiB; this parser reads long SEARCH answers whole or refuses them loudly).
public struct IMAPResponseParser: Sendable {
    public var maxLineBytes: Int
    public var maxLiteralBytes: Int

    private var buffer: [UInt8] = []
    /// Where the response being framed starts.
    private var start = 0
    /// Where its current text segment starts (after the last literal).
    private var segmentStart = 0
    /// Where to look for the next line feed (everything before it was looked at).
    private var scan = 0
    /// Text bytes of the current response so far (literals excluded).
    private var textBytes = 0
    /// While a literal is being received: the index just past it.
    private var literalEnd: Int?

    public init(maxLineBytes: Int = 8 << 20, maxLiteralBytes: Int = 96 << 20) {
        self.maxLineBytes = maxLineBytes
        self.maxLiteralBytes = maxLiteralBytes
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received that do not yet make a complete response.
    public var bufferedByteCount: Int { buffer.count - start }

    /// The next complete response, or nil when more bytes are needed.
    public mutating func next() throws(IMAPProtocolError) -> IMAPResponse? {
        while true {
            if let end = literalEnd {
                guard buffer.count >= end else { return nil }
                literalEnd = nil
                segmentStart = end
                scan = end
            }
            guard let lineFeed = firstLineFeed() else {
                scan = buffer.count
                if textBytes + (buffer.count - segmentStart) > maxLineBytes {
                    throw IMAPProtocolError("a response line is longer than \(maxLineBytes) bytes", excerpt: excerpt())
                }
                return nil
            }
            textBytes += lineFeed + 1 - segmentStart
            if textBytes > maxLineBytes {
                throw IMAPProtocolError("a response line is longer than \(maxLineBytes) bytes", excerpt: excerpt())
            }
            if let size = try literalSize(endingAt: lineFeed) {
                literalEnd = lineFeed + 1 + size
                scan = lineFeed + 1
                let needed = literalEnd! - start
                if needed > buffer.capacity - start { buffer.reserveCapacity(start + needed + 4096) }
                continue
            }
            let response = try IMAPResponseReader.parse(buffer, start..<lineFeed)
            start = lineFeed + 1
            segmentStart = start
            scan = start
            textBytes = 0
            compact()
            return response
        }
    }

    private mutating func firstLineFeed() -> Int? {
        buffer.withUnsafeBufferPointer { raw in
            var k = scan
            while k < raw.count {
                if raw[k] == 0x0A { return k }
                k += 1
            }
            return nil
        }
    }

    /// The n of a `{n}`, `{n+}` or `~{n}` that ends the line before `lineFeed`, else nil.
    private func literalSize(endingAt lineFeed: Int) throws(IMAPProtocolError) -> Int? {
        var k = lineFeed
        if k > segmentStart, buffer[k - 1] == 0x0D { k -= 1 }
        guard k > segmentStart, buffer[k - 1] == UInt8(ascii: "}") else { return nil }
        k -= 1
        if k > segmentStart, buffer[k - 1] == UInt8(ascii: "+") { k -= 1 }
        let digitsEnd = k
        while k > segmentStart, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[k - 1]) { k -= 1 }
        guard k < digitsEnd, k > segmentStart, buffer[k - 1] == UInt8(ascii: "{") else { return nil }
        guard digitsEnd - k <= 12 else {
            throw IMAPProtocolError("a literal size has too many digits", excerpt: excerpt())
        }
        var size = 0
        for digit in buffer[k..<digitsEnd] { size = size * 10 + Int(digit - UInt8(ascii: "0")) }
        guard size <= maxLiteralBytes else {
            throw IMAPProtocolError("the server announced a literal of \(size) bytes, more than \(maxLiteralBytes)",
                                    excerpt: excerpt())
        }
        return size
    }

    private func excerpt() -> String {
        let end = min(buffer.count, start + 80)
        var text = buffer[start..<end]
        if let lineFeed = text.firstIndex(of: 0x0A) { text = text[..<lineFeed] }
        return String(decoding: text, as: UTF8.self)
    }

    /// Drops consumed bytes: all of them when nothing is pending (a 25 MB buffer is released),
    /// else the prefix once it is large.
    private mutating func compact() {
        if start == buffer.count {
            if buffer.capacity > 4 << 20 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
            start = 0
            segmentStart = 0
            scan = 0
        } else if start > 1 << 20 {
            buffer.removeFirst(start)
            segmentStart -= start
            scan -= start
            start = 0
        }
    }
}

/// Reads one framed response (its text with any literals inline).
struct IMAPResponseReader {
    let bytes: [UInt8]
    var index: Int
    let end: Int

    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        index = range.lowerBound
        var end = range.upperBound
        if end > index, bytes[end - 1] == 0x0D { end -= 1 }
        self.end = end
    }

    private static let space = UInt8(ascii: " ")

    /// Parses one response; the reader (and its reference to the buffer) ends here, so the
    /// parser's next append does not copy the buffer.
    static func parse(_ bytes: [UInt8], _ range: Range<Int>) throws(IMAPProtocolError) -> IMAPResponse {
        var reader = IMAPResponseReader(bytes: bytes, range: range)
        return try reader.parse()
    }

    func fail(_ message: String) -> IMAPProtocolError {
        let stop = min(end, bytes[index...].prefix(80).firstIndex(of: 0x0A) ?? min(end, index + 80))
        return IMAPProtocolError(message, excerpt: String(decoding: bytes[index..<max(index, stop)], as: UTF8.self))
    }

    var atEnd: Bool { index >= end }
    var peek: UInt8? { index < end ? bytes[index] : nil }

    mutating func skipSpaces() {
        while index < end, bytes[index] == Self.space { index += 1 }
    }

    mutating func restOfLine() -> String {
        let text = String(decoding: bytes[min(index, end)..<end], as: UTF8.self)
        index = end
        return text
    }

    // MARK: Values

    /// An atom; `[...]` sections inside it (BODY[HEADER.FIELDS (FROM)]) are read whole.
    mutating func readAtom() throws(IMAPProtocolError) -> String {
        let begin = index
        var depth = 0
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "[") { depth += 1 }
            else if byte == UInt8(ascii: "]") { depth = max(0, depth - 1) }
            else if depth == 0, byte == Self.space || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
                        || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "{") || byte < 0x20 { break }
            index += 1
        }
        guard index > begin else { throw fail("expected an atom") }
        return String(decoding: bytes[begin..<index], as: UTF8.self)
    }

    mutating func readValue() throws(IMAPProtocolError) -> IMAPValue {
        guard let byte = peek else { throw fail("expected a value, found the end of the line") }
        switch byte {
        case UInt8(ascii: "("):
            index += 1
            var items: [IMAPValue] = []
            while true {
                skipSpaces()
                guard let next = peek else { throw fail("a list is not closed") }
                if next == UInt8(ascii: ")") {
                    index += 1
                    return .list(items)
                }
                items.append(try readValue())
            }
        case UInt8(ascii: "\""):
            return .string(try readQuoted())
        case UInt8(ascii: "{"):
            return .string(try readLiteral())
        case UInt8(ascii: "~") where index + 1 < end && bytes[index + 1] == UInt8(ascii: "{"):
            index += 1
            return .string(try readLiteral())
        default:
            let atom = try readAtom()
            return atom.count == 3 && atom.uppercased() == "NIL" ? .none : .atom(atom)
        }
    }

    mutating func readQuoted() throws(IMAPProtocolError) -> [UInt8] {
        index += 1
        var out: [UInt8] = []
        while index < end {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\\"), index < end {
                out.append(bytes[index])
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                return out
            } else {
                out.append(byte)
            }
        }
        throw fail("a quoted string is not closed")
    }

    /// `{n}CRLF` then n bytes (framing made sure they are all here).
    mutating func readLiteral() throws(IMAPProtocolError) -> [UInt8] {
        index += 1
        var size = 0
        var digits = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            size = size * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
            if digits > 12 { throw fail("a literal size has too many digits") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") { index += 1 }
        guard digits > 0, index < bytes.count, bytes[index] == UInt8(ascii: "}") else { throw fail("a literal is malformed") }
        index += 1
        if index < bytes.count, bytes[index] == 0x0D { index += 1 }
        guard index < bytes.count, bytes[index] == 0x0A else { throw fail("a literal size is not followed by a line end") }
        index += 1
        guard index + size <= bytes.count else { throw fail("a literal is shorter than announced") }
        let literal = Array(bytes[index..<(index + size)])
        index += size
        return literal
    }

    mutating func readValues() throws(IMAPProtocolError) -> [IMAPValue] {
        var values: [IMAPValue] = []
        skipSpaces()
        while !atEnd {
            values.append(try readValue())
            skipSpaces()
        }
        return values
    }

    mutating func readNumber() throws(IMAPProtocolError) -> UInt32 {
        let atom = try readAtom()
        guard let number = UInt32(atom) else { throw fail("expected a number, found \(atom.prefix(20))") }
        return number
    }

    // MARK: Responses

    mutating func parse() throws(IMAPProtocolError) -> IMAPResponse {
        guard let first = peek else { throw fail("empty response line") }
        if first == UInt8(ascii: "+") {
            index += 1
            if peek == Self.space { index += 1 }
            return .continuation(restOfLine())
        }
        if first == UInt8(ascii: "*") {
            index += 1
            skipSpaces()
            return try parseUntagged()
        }
        let tag = try readAtom()
        skipSpaces()
        let word = try readAtom().uppercased()
        guard let status = IMAPStatus(rawValue: word), status != .preauth, status != .bye else {
            throw fail("a tagged response must be OK, NO or BAD")
        }
        let (code, text) = try readResponseText()
        return .tagged(tag: tag, status: status, code: code, text: text)
    }

    mutating func parseUntagged() throws(IMAPProtocolError) -> IMAPResponse {
        let word = try readAtom()
        skipSpaces()
        if let number = UInt32(word) {
            let keyword = try readAtom().uppercased()
            skipSpaces()
            switch keyword {
            case "EXISTS": return .exists(number)
            case "RECENT": return .recent(number)
            case "EXPUNGE": return .expunge(number)
            case "FETCH":
                guard case .list(let items) = try readValue() else { throw fail("FETCH data must be a list") }
                return .fetch(sequence: number, try Self.fetchAttributes(items, reader: self))
            default:
                return .other(keyword: keyword, values: [.atom(word)] + ((try? readValues()) ?? []))
            }
        }
        let keyword = word.uppercased()
        if let status = IMAPStatus(rawValue: keyword) {
            let (code, text) = try readResponseText()
            return .condition(status, code: code, text: text)
        }
        switch keyword {
        case "CAPABILITY":
            return .capability(restOfLine().split(separator: " ").map { $0.uppercased() })
        case "SEARCH":
            let values = try readValues()
            return .search(values.compactMap { $0.number.flatMap { UInt32(exactly: $0) } })
        case "ESEARCH":
            return .esearch(try readESearch())
        default:
            let mark = index
            if let values = try? readValues() { return .other(keyword: keyword, values: values) }
            index = mark
            return .other(keyword: keyword, values: [.atom(restOfLine())])
        }
    }

    /// `[CODE argument] text` or just text.
    mutating func readResponseText() throws(IMAPProtocolError) -> (IMAPResponseCode?, String) {
        skipSpaces()
        var code: IMAPResponseCode?
        if peek == UInt8(ascii: "[") {
            index += 1
            let begin = index
            while index < end, bytes[index] != UInt8(ascii: "]") { index += 1 }
            guard index < end else { throw fail("a response code is not closed") }
            let inner = String(decoding: bytes[begin..<index], as: UTF8.self)
            index += 1
            if let space = inner.firstIndex(of: " ") {
                code = IMAPResponseCode(name: inner[..<space].uppercased(), argument: String(inner[inner.index(after: space)...]))
            } else {
                code = IMAPResponseCode(name: inner.uppercased())
            }
            skipSpaces()
        }
        return (code, restOfLine())
    }

    mutating func readESearch() throws(IMAPProtocolError) -> IMAPESearchResult {
        var result = IMAPESearchResult()
        var values = try readValues()[...]
        if case .list(let correlator)? = values.first {
            values = values.dropFirst()
            if correlator.count >= 2, correlator[0].atom?.uppercased() == "TAG" { result.tag = correlator[1].text }
        }
        if values.first?.atom?.uppercased() == "UID" {
            result.isUID = true
            values = values.dropFirst()
        }
        while let name = values.first?.atom?.uppercased() {
            values = values.dropFirst()
            guard let value = values.first else { break }
            values = values.dropFirst()
            switch name {
            case "ALL": result.all = value.text.flatMap(IMAPSequenceSet.init(parsing:))
            case "MIN": result.min = value.number.flatMap { UInt32(exactly: $0) }
            case "MAX": result.max = value.number.flatMap { UInt32(exactly: $0) }
            case "COUNT": result.count = value.number.map { Int($0) }
            default: continue
            }
        }
        return result
    }

    static func fetchAttributes(_ items: [IMAPValue], reader: IMAPResponseReader) throws(IMAPProtocolError) -> IMAPFetchAttributes {
        var attributes = IMAPFetchAttributes()
        var k = 0
        while k + 1 < items.count {
            guard let name = items[k].atom?.uppercased() else { throw reader.fail("a FETCH item name is not an atom") }
            let value = items[k + 1]
            k += 2
            switch name {
            case "UID":
                guard let uid = value.number.flatMap({ UInt32(exactly: $0) }) else { throw reader.fail("UID is not a number") }
                attributes.uid = uid
            case "RFC822.SIZE":
                attributes.size = value.number.map { Int($0) }
            case "FLAGS":
                if case .list(let flags) = value { attributes.flags = flags.compactMap(\.atom) }
            case "RFC822", "RFC822.HEADER":
                attributes.bodySection = name == "RFC822" ? "" : "HEADER"
                attributes.body = Self.bytes(of: value)
            default:
                guard name.hasPrefix("BODY[") || name.hasPrefix("BINARY[") else { continue }
                let open = name.firstIndex(of: "[")!
                let close = name.lastIndex(of: "]") ?? name.endIndex
                attributes.bodySection = String(name[name.index(after: open)..<close])
                attributes.body = Self.bytes(of: value)
            }
        }
        return attributes
    }

    private static func bytes(of value: IMAPValue) -> [UInt8]? {
        switch value {
        case .string(let bytes): bytes
        case .atom(let text): Array(text.utf8)
        default: nil
        }
    }
}
