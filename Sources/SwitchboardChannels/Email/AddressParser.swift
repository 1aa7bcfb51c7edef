/// RFC 5322 address lists, read leniently: display names as atoms, quoted strings (with RFC 2047
/// words inside, which is wrong but common) and encoded words; comments; groups
/// (`undisclosed-recipients:;`); obsolete routes (`<@relay:jane@example.com>`); the old
/// `jane@example.com (Jane Doe)` form, whose comment becomes the name; and the broken
/// `Jane Doe jane@example.com` without angle brackets.
enum AddressParser {
    private enum Token {
        case word([UInt8], quoted: Bool, spaceBefore: Bool)
        case comment([UInt8])
        case special(UInt8)
    }

    static func parse(_ header: String) -> [MailAddress] {
        let tokens = tokenize(Array(header.utf8))
        var addresses: [MailAddress] = []
        var current: [Token] = []
        var inAngle = false
        for token in tokens {
            if case .special(let byte) = token {
                switch byte {
                case UInt8(ascii: "<"):
                    inAngle = true
                case UInt8(ascii: ">"):
                    inAngle = false
                case UInt8(ascii: ","), UInt8(ascii: ";"):
                    if !inAngle {
                        if let address = mailbox(current) { addresses.append(address) }
                        current.removeAll()
                        continue
                    }
                case UInt8(ascii: ":"):
                    if !inAngle && !current.contains(where: { if case .special(UInt8(ascii: "<")) = $0 { return true }; return false }) {
                        current.removeAll()  // a group's display name
                        continue
                    }
                default:
                    break
                }
            }
            current.append(token)
        }
        if let address = mailbox(current) { addresses.append(address) }
        return addresses
    }

    private static func tokenize(_ bytes: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        var space = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x09, 0x0D, 0x0A:
                space = true
                index += 1
                continue
            case UInt8(ascii: "("):
                let end = MIMEParameters.skipComment(bytes, index)
                let closed = end > index + 1 && bytes[end - 1] == UInt8(ascii: ")")
                var inner = Array(bytes[(index + 1)..<max(index + 1, closed ? end - 1 : end)])
                inner.removeAll { $0 == UInt8(ascii: "\\") }
                tokens.append(.comment(inner))
                index = end
                space = true
                continue
            case UInt8(ascii: "\""):
                var value: [UInt8] = []
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                    value.append(bytes[index])
                    index += 1
                }
                index += 1
                tokens.append(.word(value, quoted: true, spaceBefore: space))
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"):
                tokens.append(.special(byte))
                index += 1
            default:
                let start = index
                while index < bytes.count {
                    let next = bytes[index]
                    if next == 0x20 || next == 0x09 || next == 0x0D || next == 0x0A || next == UInt8(ascii: "(")
                        || next == UInt8(ascii: "\"") || next == UInt8(ascii: "<") || next == UInt8(ascii: ">")
                        || next == UInt8(ascii: ",") || next == UInt8(ascii: ";") || next == UInt8(ascii: ":") {
                        // An encoded word may contain none of these, but a domain literal may hold ':'.
                        if next == UInt8(ascii: ":"), bytes[start] == UInt8(ascii: "[") { index += 1; continue }
                        break
                    }
                    index += 1
                }
                tokens.append(.word(Array(bytes[start..<index]), quoted: false, spaceBefore: space))
            }
            space = false
        }
        return tokens
    }

    private static func mailbox(_ tokens: [Token]) -> MailAddress? {
        guard !tokens.isEmpty else { return nil }
        if let open = tokens.firstIndex(where: { if case .special(UInt8(ascii: "<")) = $0 { return true }; return false }) {
            let close = tokens[open...].firstIndex { if case .special(UInt8(ascii: ">")) = $0 { return true }; return false } ?? tokens.endIndex
            var spec = addressSpec(tokens[(open + 1)..<close])
            if let colon = spec.lastIndex(of: ":"), spec.contains("@") { spec = String(spec[spec.index(after: colon)...]) }
            guard !spec.isEmpty else { return nil }
            var name = phrase(tokens[..<open])
            if name == nil { name = firstComment(tokens[..<open]) }
            return MailAddress(name: name, address: spec)
        }
        // No angle brackets: an addr-spec, perhaps with a comment name, perhaps after a bare name.
        let words = tokens.filter { if case .word = $0 { return true }; return false }
        guard !words.isEmpty else { return nil }
        if let at = words.lastIndex(where: { if case .word(let value, false, _) = $0 { return value.contains(UInt8(ascii: "@")) }; return false }),
           at > 0, case .word(_, _, true) = words[at] {
            let name = phrase(words[..<at])
            return MailAddress(name: name, address: addressSpec(words[at...]))
        }
        let spec = addressSpec(tokens[...])
        guard !spec.isEmpty else { return nil }
        return MailAddress(name: firstComment(tokens[...]), address: spec)
    }

    private static func addressSpec(_ tokens: ArraySlice<Token>) -> String {
        var bytes: [UInt8] = []
        for token in tokens {
            switch token {
            case .word(let value, let quoted, _):
                if quoted {
                    bytes.append(UInt8(ascii: "\""))
                    bytes.append(contentsOf: value)
                    bytes.append(UInt8(ascii: "\""))
                } else {
                    bytes.append(contentsOf: value)
                }
            case .special(let byte) where byte == UInt8(ascii: ":"):
                bytes.append(byte)
            default:
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func firstComment(_ tokens: ArraySlice<Token>) -> String? {
        for token in tokens {
            if case .comment(let value) = token {
                let text = String(decoding: value, as: UTF8.self)
                let decoded = (text.mayHaveEncodedWord ? EncodedWords.decode(text) : text).trimmedWhitespace
                if !decoded.isEmpty { return decoded }
            }
        }
        return nil
    }

    /// A display name: words joined by one space (white space between encoded words then goes
    /// away in decoding).
    private static func phrase(_ tokens: ArraySlice<Token>) -> String? {
        var parts: [UInt8] = []
        for token in tokens {
            switch token {
            case .word(let value, _, _):
                if !parts.isEmpty { parts.append(0x20) }
                parts.append(contentsOf: value)
            case .special(let byte) where byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">"):
                parts.append(byte)
            default:
                break
            }
        }
        let text = String(decoding: parts, as: UTF8.self)
        let decoded = text.mayHaveEncodedWord ? EncodedWords.decode(text) : text
        let name = decoded.trimmedWhitespace
        return name.isEmpty ? nil : name
    }
}
