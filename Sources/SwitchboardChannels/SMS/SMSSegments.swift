/// How a text travels as SMS: GSM-7 when every character is in the GSM 03.38 default alphabet
/// (with its extension table, whose characters cost two septets), UCS-2 otherwise; and how many
/// segments that takes (160 septets or 70 UTF-16 units alone; 153 or 67 per part once a message
/// needs a concatenation header). Pure, for the outbound sender's limits and for cost figures.
public struct SMSSegments: Sendable, Hashable {
    public enum Encoding: String, Sendable, Hashable {
        case gsm7, ucs2
    }

    public var encoding: Encoding
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    public var units: Int
    /// The text of each segment, in order (a character is never split across two).
    public var parts: [String]

    public var count: Int { parts.count }

    /// GSM 03.38 default alphabet.
    static let basic: Set<Character> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
    /// The extension table, reached through an escape: two septets each.
    static let extended: Set<Character> = Set("\u{0C}^{}\\[~]|€")

    public static func isGSM7(_ text: String) -> Bool {
        text.allSatisfy { basic.contains($0) || extended.contains($0) }
    }

    /// Segments `text`.
    public init(_ text: String) {
        if Self.isGSM7(text) {
            let cost: (Character) -> Int = { Self.extended.contains($0) ? 2 : 1 }
            units = text.reduce(0) { $0 + cost($1) }
            encoding = .gsm7
            parts = Self.split(text, total: units, single: 160, multi: 153, cost: cost)
        } else {
            let cost: (Character) -> Int = { $0.utf16.count }
            units = text.utf16.count
            encoding = .ucs2
            parts = Self.split(text, total: units, single: 70, multi: 67, cost: cost)
        }
    }

    private static func split(_ text: String, total: Int, single: Int, multi: Int, cost: (Character) -> Int) -> [String] {
        if total <= single { return [text] }
        var parts: [String] = []
        var current = ""
        var used = 0
        for c in text {
            let k = cost(c)
            if used + k > multi {
                parts.append(current)
                current = ""
                used = 0
            }
            current.append(c)
            used += k
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }
}

/// What to do with an answer longer than an SMS adapter allows (`max_segments`).
public enum SMSLongAnswerPolicy: Sendable, Hashable {
    /// Send it split into up to `max_segments` parts; longer answers are refused (the router
    /// then chooses another channel).
    case refuse
    /// Send this short text instead, pointing to where the full answer went (e.g. email).
    case pointer(String)

    public enum Decision: Sendable, Hashable {
        case send(SMSSegments)
        /// The answer does not fit; send the pointer text instead.
        case sendPointer(SMSSegments)
        /// The answer does not fit and there is no pointer: use another channel.
        case refuse(segments: Int)
    }

    public func decide(_ text: String, maxSegments: Int) -> Decision {
        let segments = SMSSegments(text)
        if segments.count <= maxSegments { return .send(segments) }
        switch self {
        case .refuse: return .refuse(segments: segments.count)
        case .pointer(let pointer):
            let short = SMSSegments(pointer)
            return short.count <= maxSegments ? .sendPointer(short) : .refuse(segments: segments.count)
        }
    }
}
