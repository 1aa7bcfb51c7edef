/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header text.
///
/// Lenient where mail in the wild needs it: words are recognized even when glued to plain text
/// (`Re:=?utf-8?q?…?=`), any charset iconv knows is accepted (with an RFC 2231 `*lang` suffix),
/// and adjacent words of the same charset are joined *before* decoding, so a character split
/// across two words (as some mailers do with UTF-8 and ISO-2022-JP) comes out whole. White space
/// between adjacent encoded words is dropped, as the RFC says.
enum EncodedWords {
    private struct Word {
        var charset: String
        var bytes: [UInt8]
        var end: Int
    }

    /// Decodes every encoded word in `text`.
    static func decode(_ text: String) -> String {
        guard text.utf8.count >= 8, text.utf8.contains(UInt8(ascii: "?")) else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var pending: Word?
        var heldSpace: [UInt8] = []
        var sawWord = false

        func flush() {
            if let word = pending {
                output.append(contentsOf: Charsets.decode(word.bytes, charset: word.charset).utf8)
                pending = nil
            }
        }

        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "="), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "?"),
               let word = parseWord(bytes, at: index) {
                sawWord = true
                if var current = pending, current.charset == word.charset {
                    current.bytes.append(contentsOf: word.bytes)
                    pending = current
                } else {
                    flush()
                    pending = word
                }
                heldSpace.removeAll(keepingCapacity: true)
                index = word.end
            } else if pending != nil, byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                heldSpace.append(byte)
                index += 1
            } else {
                flush()
                output.append(contentsOf: heldSpace)
                heldSpace.removeAll(keepingCapacity: true)
                output.append(byte)
                index += 1
            }
        }
        flush()
        output.append(contentsOf: heldSpace)
        guard sawWord else { return text }
        return String(decoding: output, as: UTF8.self)
    }

    private static func parseWord(_ bytes: [UInt8], at start: Int) -> Word? {
        var index = start + 2
        let charsetStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "?") {
            let byte = bytes[index]
            if byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "=") || index - charsetStart > 60 { return nil }
            index += 1
        }
        guard index > charsetStart, index + 2 < bytes.count, bytes[index + 2] == UInt8(ascii: "?") else { return nil }
        let charset = String(decoding: bytes[charsetStart..<index], as: UTF8.self).lowercased()
        let encoding = bytes[index + 1] | 0x20
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
        let textStart = index + 3
        var end = textStart
        // RFC 2047 allows 75 characters; broken mailers write longer words, but a bound keeps a
        // header full of unterminated `=?` from costing quadratic time.
        let limit = min(bytes.count, textStart + 2048)
        while end + 1 < limit {
            let byte = bytes[end]
            if byte == UInt8(ascii: "?") && bytes[end + 1] == UInt8(ascii: "=") { break }
            if byte <= 0x20 { return nil }
            end += 1
        }
        guard end + 1 < limit else { return nil }
        let text = bytes[textStart..<end]
        let decoded = encoding == UInt8(ascii: "b")
            ? TransferDecoding.base64(Array(text))
            : TransferDecoding.qEncoding(text)
        var name = charset
        if let star = name.firstIndex(of: "*") { name = String(name[..<star]) }
        return Word(charset: name, bytes: decoded, end: end + 2)
    }
}
