/// Small ASCII text helpers for webhook hot paths: Foundation's `trimmingCharacters` bridges
/// through NSString and costs more than the HMAC of a whole request.
enum ASCIIText {
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// `text` without leading and trailing spaces, tabs, CR and LF.
    static func trimmed(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, isSpace(utf8[start]) { start = utf8.index(after: start) }
        while end > start, isSpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return text[start..<end]
    }

    static func trimmed(_ text: String) -> Substring { trimmed(text[...]) }

    /// Whether every byte is an ASCII digit (and there is at least one).
    static func isAllDigits<S: StringProtocol>(_ text: S) -> Bool {
        !text.utf8.isEmpty && text.utf8.allSatisfy(isDigit)
    }

    /// Whether the text has a space, tab, CR, LF or other control byte.
    static func hasSpaceOrControl<S: StringProtocol>(_ text: S) -> Bool {
        text.utf8.contains { $0 <= 0x20 || $0 == 0x7F }
    }

    /// ASCII lower-casing (other bytes unchanged).
    static func lowercased<S: StringProtocol>(_ text: S) -> String {
        guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return String(text) }
        return String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Case-insensitive ASCII equality.
    static func equalsIgnoringCase<S: StringProtocol>(_ text: S, _ lower: String) -> Bool {
        text.utf8.count == lower.utf8.count
            && zip(text.utf8, lower.utf8).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
    }
}
