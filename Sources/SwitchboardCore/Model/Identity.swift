/// One way of reaching a customer: an email address, an E.164 phone number, a social handle,
/// a chat visitor id, or an id from an in-house system. A contact owns several identities;
/// a message from a known identity attaches to its contact whatever the channel.
public struct Identity: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        case email, phone, social, chat, external
    }

    public var kind: Kind
    /// The normalized value (see `Identity.normalized(kind:value:)`): lower-cased email,
    /// E.164 phone, `@user@host` social handle, visitor id as given.
    public var value: String

    public init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    public var description: String { "\(kind.rawValue):\(value)" }

    /// Normalizes a raw identity value so that the same customer written two ways is one identity.
    /// Returns nil with a reason when the value cannot be an identity of that kind.
    public static func normalized(kind: Kind, value raw: String) -> Result<Identity, IdentityError> {
        if let identity = normalizedASCII(kind: kind, value: raw) { return .success(identity) }
        return normalizedByCharacters(kind: kind, value: raw)
    }

    /// `normalized` for the values nearly every message's sender has: plain ASCII, nothing to
    /// trim, valid. It reads UTF-8 bytes where `normalizedByCharacters` walks Characters (a
    /// grapheme break and Unicode-property look-ups each), and gives the same identity: among
    /// ASCII bytes each is a Character of its own but CR LF, which is refused either way
    /// (`UnicodeASCII`). nil when it cannot say: the Characters decide then, and give the reason
    /// of a failure.
    static func normalizedASCII(kind: Kind, value raw: String) -> Identity? {
        let decided = raw.utf8.withContiguousStorageIfAvailable { bytes -> Identity? in
            guard let first = bytes.first, let last = bytes.last, bytes.count <= 320,
                  !UnicodeASCII.isWhitespace(first), !UnicodeASCII.isWhitespace(last),
                  !bytes.contains(where: { $0 >= 0x80 })
            else { return nil }
            switch kind {
            case .email:
                var value = bytes[...]
                if let open = value.lastIndex(of: UInt8(ascii: "<")), let close = value.lastIndex(of: UInt8(ascii: ">")),
                   open < close
                {
                    value = value[(open + 1)..<close]
                }
                guard let at = value.firstIndex(of: UInt8(ascii: "@")), at > value.startIndex,
                      !value[(at + 1)...].contains(UInt8(ascii: "@")), value[(at + 1)...].contains(UInt8(ascii: ".")),
                      !value.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") })
                else { return nil }
                return Identity(kind: .email, value: UnicodeASCII.lowercasedString(value))
            case .phone:
                guard first == UInt8(ascii: "+") else { return nil }
                var digits = 0
                for byte in bytes.dropFirst() {
                    switch byte {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
                    case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."): continue
                    default: return nil
                    }
                }
                guard (8...15).contains(digits) else { return nil }
                return Identity(kind: .phone, value: String(unsafeUninitializedCapacity: digits + 1) { buffer in
                    buffer[0] = UInt8(ascii: "+")
                    var count = 1
                    for byte in bytes where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                        buffer[count] = byte
                        count += 1
                    }
                    return count
                })
            case .social:
                let handle = first == UInt8(ascii: "@") ? UnicodeASCII.lowercasedString(bytes)
                    : "@" + UnicodeASCII.lowercasedString(bytes)
                guard handle.utf8.count > 1, !bytes.contains(UInt8(ascii: " ")) else { return nil }
                return Identity(kind: .social, value: handle)
            case .chat, .external:
                guard !bytes.contains(where: UnicodeASCII.isNewline) else { return nil }
                return Identity(kind: kind, value: raw)
            }
        }
        return decided ?? nil
    }

    /// `normalized` on Characters: the definition, and the way for values with non-ASCII
    /// characters or white space to trim, and for every failure.
    static func normalizedByCharacters(kind: Kind, value raw: String) -> Result<Identity, IdentityError> {
        let trimmed = trimmedOfWhitespace(raw)
        guard !trimmed.isEmpty else { return .failure(IdentityError(reason: "is empty")) }
        guard trimmed.utf8.count <= 320 else { return .failure(IdentityError(reason: "is longer than 320 bytes")) }
        switch kind {
        case .email:
            var value = trimmed
            if let open = value.lastIndex(of: "<"), let close = value.lastIndex(of: ">"), open < close {
                value = String(value[value.index(after: open)..<close])
            }
            let parts = value.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].utf8.contains(UInt8(ascii: ".")),
                  !value.contains(where: { $0 == " " || $0 == "," || $0 == ";" }) else {
                return .failure(IdentityError(reason: "is not an email address like name@example.com"))
            }
            return .success(Identity(kind: .email, value: value.lowercased()))
        case .phone:
            var digits = ""
            for (index, ch) in trimmed.enumerated() {
                if ch.isASCII, ch.isNumber { digits.append(ch) }
                else if ch == "+" && index == 0 { continue }
                else if " -().".contains(ch) { continue }
                else { return .failure(IdentityError(reason: "has a character that is not a digit: '\(ch)'")) }
            }
            guard trimmed.hasPrefix("+") else {
                return .failure(IdentityError(reason: "is not in E.164 form (+ and country code); the SMS channel normalizes national numbers with its default region"))
            }
            guard (8...15).contains(digits.count) else {
                return .failure(IdentityError(reason: "must have 8 to 15 digits in E.164 form"))
            }
            return .success(Identity(kind: .phone, value: "+" + digits))
        case .social:
            var value = trimmed.lowercased()
            if !value.hasPrefix("@") { value = "@" + value }
            guard value.count > 1, !value.utf8.contains(UInt8(ascii: " ")) else {
                return .failure(IdentityError(reason: "is not a social handle like @user@host"))
            }
            return .success(Identity(kind: .social, value: value))
        case .chat, .external:
            guard !trimmed.contains(where: { $0.isNewline }) else {
                return .failure(IdentityError(reason: "contains a line break"))
            }
            return .success(Identity(kind: kind, value: trimmed))
        }
    }
}

/// `raw` without leading and trailing white space and line breaks, as Foundation's
/// `trimmingCharacters(in: .whitespacesAndNewlines)` (the same set: Unicode White_Space), but
/// without bridging to NSString when there is nothing to trim, which is nearly always: this runs
/// for every message's sender.
private func trimmedOfWhitespace(_ raw: String) -> String {
    guard let first = raw.unicodeScalars.first, let last = raw.unicodeScalars.last else { return raw }
    if !first.properties.isWhitespace && !last.properties.isWhitespace { return raw }
    return raw.trimmingCharacters(in: .whitespacesAndNewlines)
}

public struct IdentityError: Error, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}
