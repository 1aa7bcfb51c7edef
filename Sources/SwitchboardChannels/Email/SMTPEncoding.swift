import Foundation

/// The encodings an outbound mail needs: RFC 2047 encoded words for non-ASCII header text,
/// header folding at 78 characters, quoted-printable bodies (RFC 2045 §6.7), RFC 5322 dates.
/// Pure and deterministic: the same input always gives the same bytes.
public enum SMTPEncoding {
    static let crlf = "\r\n"

    /// `Name: value` folded to lines of at most 78 characters where white space allows, with
    /// non-ASCII or control-laden words as `=?UTF-8?B?…?=` words of at most 75 characters.
    public static func headerField(_ name: String, _ value: String) -> String {
        let words = unstructuredWords(value)
        return fold(name: name, words: words)
    }

    /// The words of an unstructured value (Subject): runs of ASCII words stay, runs of words with
    /// other characters become encoded words.
    static func unstructuredWords(_ value: String) -> [String] {
        let clean = value.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
        let parts = clean.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var words: [String] = []
        var pending: [String] = []
        func flushPending() {
            guard !pending.isEmpty else { return }
            words += encodedWords(pending.joined(separator: " "))
            pending.removeAll()
        }
        for part in parts {
            if needsEncoding(part) {
                pending.append(part)
            } else {
                // An encoded run swallows the spaces between its words; a plain word after it
                // starts a new run. Plain words that look like encoded words are encoded too.
                flushPending()
                words.append(part)
            }
        }
        flushPending()
        return words
    }

    static func needsEncoding(_ word: String) -> Bool {
        if word.hasPrefix("=?") && word.hasSuffix("?=") { return true }
        if word.utf8.count > 76 { return true }
        return word.unicodeScalars.contains { $0.value > 0x7E || ($0.value < 0x20 && $0 != "\t") }
    }

    /// `text` as UTF-8 B-encoded words of at most 60 characters (36 bytes each, so that one fits
    /// on a line after a header name), never splitting a character.
    public static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 36, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk.removeAll()
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words
    }

    /// Joins words with single spaces, breaking lines before a word that would pass 78 characters.
    static func fold(name: String, words: [String]) -> String {
        var out = name + ":"
        var lineLength = out.utf8.count
        for word in words {
            let length = word.utf8.count
            if lineLength + 1 + length > 78, lineLength > name.utf8.count + 1 {
                out += crlf + " " + word
                lineLength = 1 + length
            } else {
                out += " " + word
                lineLength += 1 + length
            }
        }
        return out
    }

    /// A display name and address: `"O'Brien, Sean" <sean@example.ie>`, `=?UTF-8?B?…?= <…>`.
    public static func address(_ address: MailAddress) -> String {
        guard let name = address.name?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
            return "<\(address.address)>"
        }
        if name.unicodeScalars.contains(where: { $0.value > 0x7E || $0.value < 0x20 }) {
            return encodedWords(name).joined(separator: " ") + " <\(address.address)>"
        }
        let atext = name.unicodeScalars.allSatisfy { scalar in
            CharacterSet.alphanumerics.contains(scalar) || " !#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
        }
        if atext { return "\(name) <\(address.address)>" }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\" <\(address.address)>"
    }

    /// `To: a <x>, b <y>` folded after commas.
    public static func addressField(_ name: String, _ addresses: [MailAddress]) -> String {
        var words: [String] = []
        for (k, item) in addresses.enumerated() {
            var rendered = address(item)
            if k < addresses.count - 1 { rendered += "," }
            words.append(contentsOf: rendered.split(separator: " ").map(String.init))
        }
        return fold(name: name, words: words)
    }

    /// `<a@x> <b@y>` folded (In-Reply-To, References).
    public static func messageIDField(_ name: String, _ ids: [String]) -> String {
        fold(name: name, words: ids.map { "<\($0)>" })
    }

    /// RFC 5322 date-time in UTC: `Sun, 22 Nov 2026 11:51:05 +0000`.
    public static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    /// Quoted-printable (RFC 2045 §6.7) of UTF-8 text, CRLF line ends, lines of at most 76
    /// characters. `=`, bytes over 0x7E, controls other than tab, white space before a line
    /// end, and a leading `.` or `From ` (which some relays mangle) are encoded.
    public static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            var current: [UInt8] = []
            let bytes = Array(line.utf8)
            for (k, byte) in bytes.enumerated() {
                let isLast = k == bytes.count - 1
                var encoded: [UInt8]
                let literal = (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "="))
                    || ((byte == 0x20 || byte == 0x09) && !isLast)
                if literal && !(current.isEmpty && k == 0 && byte == UInt8(ascii: ".")) {
                    encoded = [byte]
                } else {
                    encoded = [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                }
                if k == 0 && bytes.starts(with: Array("From ".utf8)) { encoded = Array("=46".utf8) }
                // Soft line break: a line holds at most 75 characters plus "=".
                if current.count + encoded.count > 75 {
                    out += current + Array("=\r\n".utf8)
                    current = []
                }
                current += encoded
            }
            out += current
            if index < lines.count - 1 { out += Array("\r\n".utf8) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether text can go as 7bit: ASCII only, lines of at most 998 bytes, no bare CR.
    static func isSevenBitSafe(_ text: String) -> Bool {
        var lineLength = 0
        for byte in text.utf8 {
            if byte > 0x7E || byte == 0x00 || byte == 0x0D { return false }
            if byte == 0x0A { lineLength = 0 } else { lineLength += 1 }
            if lineLength > 900 { return false }
        }
        return true
    }

    static func crlfLines(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
    }
}
