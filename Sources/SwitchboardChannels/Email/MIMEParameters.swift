/// A structured MIME header value: `Content-Type: text/plain; charset="utf-8"` or
/// `Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf`.
///
/// Parameters follow RFC 2045 and RFC 2231 (continuations `name*0`, `name*1`, and
/// `charset'lang'%XX` values); an RFC 2231 value wins over a plain one of the same name. Plain
/// values that carry RFC 2047 words (`name="=?UTF-8?B?…?="`, which many mailers send) are decoded
/// too. Unquoted values with spaces are read up to the next `;`.
struct MIMEParameters: Sendable, Hashable {
    /// The value before the first `;`, lower-cased, white space removed (`text/plain`, `attachment`).
    var value: String
    /// Parameter names lower-cased, values decoded.
    var parameters: [String: String]

    subscript(_ name: String) -> String? { parameters[name] }

    private struct Piece {
        var section: Int?
        var extended: Bool
        var value: [UInt8]
        var order: Int
    }

    static func parse(_ header: String) -> MIMEParameters {
        let bytes = Array(header.utf8)
        var index = 0
        var main: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: ";") {
            let byte = bytes[index]
            if byte == UInt8(ascii: "(") {
                index = skipComment(bytes, index)
                continue
            }
            if byte != 0x20 && byte != 0x09 && byte != UInt8(ascii: "\"") { main.append(lowercase(byte)) }
            index += 1
        }
        var pieces: [String: [Piece]] = [:]
        var order = 0
        while index < bytes.count {
            // At a ';' (or junk): skip to the next name.
            while index < bytes.count, bytes[index] == UInt8(ascii: ";") || isSpace(bytes[index]) { index += 1 }
            let nameStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") { index += 1 }
            let rawName = trimmed(bytes[nameStart..<index])
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            var value: [UInt8] = []
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                    value.append(bytes[index])
                    index += 1
                }
                index += 1
                // Junk after the closing quote up to the next ';' is ignored.
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
            } else {
                let valueStart = index
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") {
                    if bytes[index] == UInt8(ascii: "(") { break }
                    index += 1
                }
                value = Array(trimmed(bytes[valueStart..<index]))
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
            }
            guard !rawName.isEmpty else { continue }
            var name = String(decoding: rawName.map(lowercase), as: UTF8.self)
            var extended = false
            var section: Int?
            if name.hasSuffix("*") {
                extended = true
                name.removeLast()
            }
            if let star = name.lastIndex(of: "*"), let number = Int(name[name.index(after: star)...]), number >= 0, number < 1000 {
                section = number
                name = String(name[..<star])
            }
            pieces[name, default: []].append(Piece(section: section, extended: extended, value: value, order: order))
            order += 1
        }
        var parameters: [String: String] = [:]
        for (name, list) in pieces {
            parameters[name] = combine(list)
        }
        return MIMEParameters(value: String(decoding: main, as: UTF8.self), parameters: parameters)
    }

    /// Joins one parameter's pieces: RFC 2231 (any section or `*`) wins over a plain value.
    private static func combine(_ pieces: [Piece]) -> String {
        let rfc2231 = pieces.filter { $0.section != nil || $0.extended }
        guard !rfc2231.isEmpty else {
            let plain = String(decoding: pieces[0].value, as: UTF8.self)
            return plain.mayHaveEncodedWord ? EncodedWords.decode(plain) : plain
        }
        // Sorted by section; duplicates keep their first appearance.
        var seen = Set<Int>()
        let ordered = rfc2231.sorted { ($0.section ?? 0, $0.order) < ($1.section ?? 0, $1.order) }
            .filter { seen.insert($0.section ?? 0).inserted }
        var charset: String?
        var bytes: [UInt8] = []
        for (position, piece) in ordered.enumerated() {
            var value = piece.value[...]
            if piece.extended {
                if position == 0, let first = value.firstIndex(of: UInt8(ascii: "'")),
                   let second = value[(first + 1)...].firstIndex(of: UInt8(ascii: "'")) {
                    let label = String(decoding: value[..<first], as: UTF8.self)
                    if !label.isEmpty { charset = label }
                    value = value[(second + 1)...]
                }
                bytes.append(contentsOf: percentDecoded(value))
            } else {
                bytes.append(contentsOf: value)
            }
        }
        let text = Charsets.decode(bytes, charset: charset ?? "utf-8")
        return text.mayHaveEncodedWord ? EncodedWords.decode(text) : text
    }

    private static func percentDecoded(_ value: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(value.count)
        var index = value.startIndex
        while index < value.endIndex {
            if value[index] == UInt8(ascii: "%"), index + 2 < value.endIndex,
               let high = TransferDecoding.hexValue(value[index + 1]), let low = TransferDecoding.hexValue(value[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(value[index])
                index += 1
            }
        }
        return output
    }

    static func skipComment(_ bytes: [UInt8], _ start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 1
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return index + 1 }
            default: break
            }
            index += 1
        }
        return bytes.count
    }

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    @inline(__always) static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    private static func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = slice
        while let first = slice.first, isSpace(first) { slice.removeFirst() }
        while let last = slice.last, isSpace(last) { slice.removeLast() }
        return slice
    }
}
