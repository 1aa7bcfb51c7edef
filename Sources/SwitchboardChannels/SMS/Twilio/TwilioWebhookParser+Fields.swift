import Foundation

extension TwilioWebhookParser {
    /// The first value of each parameter the parser reads, gathered in one pass over the pairs:
    /// a webhook has some twenty parameters and the parser reads about thirty names, so looking
    /// each name up on its own compared hundreds of strings per request.
    ///
    /// Names are matched by their UTF-8 bytes. For these ASCII names that is what `String`
    /// equality (canonical equivalence) answers too: no other string is canonically equivalent
    /// to them (the only non-ASCII characters that decompose to ASCII are KELVIN SIGN, GREEK
    /// QUESTION MARK and GREEK VARIA, and no name holds K, `;` or a backtick).
    struct Fields {
        enum Slot {
            static let messageSid = 0, smsMessageSid = 1, smsSid = 2, from = 3, to = 4, body = 5, numMedia = 6,
                       optOutType = 7, profileName = 8, accountSid = 9, messagingServiceSid = 10, numSegments = 11,
                       smsStatus = 12, fromCountry = 13, fromCity = 14, fromState = 15, toCountry = 16, waId = 17,
                       apiVersion = 18
            /// `MediaUrl0` … `MediaUrl9`, then `MediaContentType0` … `MediaContentType9`.
            static let mediaURL = 19, mediaContentType = 29
            static let count = 39
        }

        private var values: [String?]

        init(_ parameters: FormParameters) {
            values = [String?](repeating: nil, count: Slot.count)
            for pair in parameters.pairs {
                if let slot = Self.slot(pair.name), values[slot] == nil { values[slot] = pair.value }
            }
        }

        subscript(slot: Int) -> String? { values[slot] }

        /// The slot of a parameter name the parser reads, or nil.
        static func slot(_ name: String) -> Int? {
            var name = name
            return name.withUTF8 { bytes -> Int? in
                guard let base = bytes.baseAddress else { return nil }
                let count = bytes.count
                @inline(__always) func equals(_ literal: StaticString) -> Bool {
                    literal.utf8CodeUnitCount == count && memcmp(literal.utf8Start, base, count) == 0
                }
                switch count {
                case 2: if equals("To") { return Slot.to }
                case 4:
                    if equals("From") { return Slot.from }
                    if equals("Body") { return Slot.body }
                    if equals("WaId") { return Slot.waId }
                case 6: if equals("SmsSid") { return Slot.smsSid }
                case 8:
                    if equals("NumMedia") { return Slot.numMedia }
                    if equals("FromCity") { return Slot.fromCity }
                case 9:
                    if let digit = mediaIndex(bytes, after: "MediaUrl") { return Slot.mediaURL + digit }
                    if equals("SmsStatus") { return Slot.smsStatus }
                    if equals("FromState") { return Slot.fromState }
                    if equals("ToCountry") { return Slot.toCountry }
                case 10:
                    if equals("MessageSid") { return Slot.messageSid }
                    if equals("AccountSid") { return Slot.accountSid }
                    if equals("OptOutType") { return Slot.optOutType }
                    if equals("ApiVersion") { return Slot.apiVersion }
                case 11:
                    if equals("NumSegments") { return Slot.numSegments }
                    if equals("FromCountry") { return Slot.fromCountry }
                    if equals("ProfileName") { return Slot.profileName }
                case 13: if equals("SmsMessageSid") { return Slot.smsMessageSid }
                case 17: if let digit = mediaIndex(bytes, after: "MediaContentType") { return Slot.mediaContentType + digit }
                case 19: if equals("MessagingServiceSid") { return Slot.messagingServiceSid }
                default: break
                }
                return nil
            }
        }

        /// The digit of `<prefix><digit>` (the media the parser reads: 0 to `maxMedia` - 1).
        private static func mediaIndex(_ bytes: UnsafeBufferPointer<UInt8>, after prefix: StaticString) -> Int? {
            let length = prefix.utf8CodeUnitCount
            guard bytes.count == length + 1, memcmp(prefix.utf8Start, bytes.baseAddress!, length) == 0 else { return nil }
            let digit = Int(bytes[length]) - Int(UInt8(ascii: "0"))
            return (0..<TwilioWebhookParser.maxMedia).contains(digit) ? digit : nil
        }
    }

    /// `text` cut to `maxCharacters` characters; a text of no more UTF-8 bytes than that is
    /// returned as it is without counting its characters.
    static func prefix(_ text: String, _ maxCharacters: Int) -> String {
        text.utf8.count <= maxCharacters ? text : String(text.prefix(maxCharacters))
    }
}
