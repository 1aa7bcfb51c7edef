import Glibc

/// One header block (the mail's or a MIME part's), unfolded.
///
/// Tolerates what real mail does: bare LF line ends, an mbox `From ` line in front, white space
/// before the colon (obsolete syntax), 8-bit values (UTF-8, else Latin-1), a continuation line
/// with nothing to continue (dropped). A line that is not a header field ends the block, as if
/// the blank separator line were missing (the way Python's parser and most clients read it).
struct HeaderBlock {
    var fields: [MailHeader]
    /// Lower-cased field names, parallel to `fields`.
    var keys: [String]
    /// Where the body starts (after the blank line, or at the first non-header line).
    var bodyStart: Int
    var defects: [String]

    /// The first value of a field, by lower-cased name.
    func value(_ key: String) -> String? {
        guard let index = keys.firstIndex(of: key) else { return nil }
        return fields[index].value
    }

    /// Every value of a field, by lower-cased name.
    func values(_ key: String) -> [String] {
        keys.indices.filter { keys[$0] == key }.map { fields[$0].value }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, maxBytes: Int, place: String,
                      skipMboxLine: Bool) throws(MailParseError) -> HeaderBlock {
        var block = HeaderBlock(fields: [], keys: [], bodyStart: range.upperBound, defects: [])
        var names: [Range<Int>] = []
        var values: [[UInt8]] = []
        var index = range.lowerBound
        let end = range.upperBound
        if skipMboxLine, end - index > 5, bytes[index] == UInt8(ascii: "F"), bytes[index + 1] == UInt8(ascii: "r"),
           bytes[index + 2] == UInt8(ascii: "o"), bytes[index + 3] == UInt8(ascii: "m"), bytes[index + 4] == 0x20 {
            index = lineEnd(bytes, from: index, end: end) + 1
        }
        while index < end {
            if index - range.lowerBound > maxBytes {
                throw MailParseError(code: .headerTooLarge, place: place,
                                     message: "the header block is larger than \(maxBytes) bytes",
                                     hint: "raise max_header_bytes if such mail is legitimate")
            }
            let newline = lineEnd(bytes, from: index, end: end)
            var contentEnd = newline
            if contentEnd > index && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let next = min(newline + 1, end)
            if contentEnd == index {  // the blank separator line
                block.bodyStart = next
                break
            }
            let first = bytes[index]
            if first == 0x20 || first == 0x09 {
                if values.isEmpty {
                    block.defects.append("continuation_without_header")
                } else {
                    values[values.count - 1].append(contentsOf: bytes[index..<contentEnd])
                }
                index = next
                continue
            }
            var colon = index
            var valid = true
            while colon < contentEnd && bytes[colon] != UInt8(ascii: ":") {
                let byte = bytes[colon]
                if byte <= 0x20 || byte >= 0x7F { valid = byte == 0x20 || byte == 0x09 ? valid : false }
                colon += 1
            }
            var nameEnd = colon
            while nameEnd > index && (bytes[nameEnd - 1] == 0x20 || bytes[nameEnd - 1] == 0x09) { nameEnd -= 1 }
            // A name with inner white space ("Not a header: …") is not a field.
            if valid, nameEnd > index, bytes[index..<nameEnd].contains(where: { $0 == 0x20 || $0 == 0x09 }) { valid = false }
            guard valid, colon < contentEnd, nameEnd > index else {
                block.defects.append("missing_header_separator")
                block.bodyStart = index
                break
            }
            var valueStart = colon + 1
            while valueStart < contentEnd && (bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09) { valueStart += 1 }
            names.append(index..<nameEnd)
            values.append(Array(bytes[valueStart..<contentEnd]))
            index = next
        }
        block.fields.reserveCapacity(names.count)
        block.keys.reserveCapacity(names.count)
        for (name, value) in zip(names, values) {
            let nameText = String(decoding: UnsafeBufferPointer(rebasing: bytes[name]), as: UTF8.self)
            var trimmed = value[...]
            while let last = trimmed.last, last == 0x20 || last == 0x09 || last == 0x0D { trimmed.removeLast() }
            block.fields.append(MailHeader(name: nameText, value: Charsets.guess(Array(trimmed))))
            block.keys.append(nameText.lowercased())
        }
        return block
    }

    /// The index of the next LF at or after `from`, or `end`.
    @inline(__always)
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int {
        guard from < end, let base = bytes.baseAddress else { return end }
        guard let found = memchr(base + from, 0x0A, end - from) else { return end }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}
