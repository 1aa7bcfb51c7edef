/// Small string helpers for the parser's hot paths. Foundation's `trimmingCharacters(in:)`,
/// `contains(_: String)` and `caseInsensitiveCompare` go through CoreFoundation on Linux and cost
/// microseconds each; these stay in the standard library.
extension StringProtocol {
    /// Without white space (Unicode's definition) at either end.
    var trimmedWhitespace: String {
        let text = String(self)
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex { !$0.properties.isWhitespace }!
        if first == text.startIndex && scalars.index(after: last) == text.endIndex { return text }
        return String(text[first...last])
    }

    /// Whether the text contains `=?`, the start of an RFC 2047 encoded word.
    var mayHaveEncodedWord: Bool {
        var previous: UInt8 = 0
        for byte in utf8 {
            if previous == UInt8(ascii: "=") && byte == UInt8(ascii: "?") { return true }
            previous = byte
        }
        return false
    }

    /// Equal ignoring ASCII case (header names, tokens).
    func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { MIMEParameters.lowercase($0) == MIMEParameters.lowercase($1) }
    }
}
