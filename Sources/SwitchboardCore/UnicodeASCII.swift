/// What Swift's Character properties say about ASCII bytes, for hot paths that read UTF-8 bytes
/// instead of Characters (each Character costs a grapheme-break check and a Unicode-property
/// look-up). Inside a run of ASCII bytes each byte is a Character of its own, except CR LF, which
/// is one Character that is both white space and a line break, as its two bytes are.
/// `UnicodeASCIITests` checks every ASCII byte against `Character`.
enum UnicodeASCII {
    /// `Character.isWhitespace`: tab, line feed, vertical tab, form feed, carriage return, space.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    /// `Character.isNewline`: line feed, vertical tab, form feed, carriage return.
    @inline(__always)
    static func isNewline(_ byte: UInt8) -> Bool {
        byte >= 0x0A && byte <= 0x0D
    }

    /// `String.lowercased()` of one ASCII byte.
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// The bytes, all ASCII, lower-cased as a String (what `String.lowercased()` gives for them).
    static func lowercasedString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = lowercased(byte) }
            return bytes.count
        }
    }
}
