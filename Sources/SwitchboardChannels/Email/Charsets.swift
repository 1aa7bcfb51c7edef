import Glibc
import Synchronization

/// Turns bytes in a declared charset into a Swift string.
///
/// UTF-8, US-ASCII and Latin-1/windows-1252 are decoded here; everything else goes through
/// glibc's iconv, opened and closed per call (thread-safe without a shared converter; glibc
/// caches its modules, so an open costs about a microsecond). Labels follow the WHATWG encoding
/// standard where mail practice agrees with it: `iso-8859-1` and `us-ascii` mean windows-1252,
/// `gb2312` means GB18030, `shift_jis` means windows-31J, `ks_c_5601-1987` means CP949.
/// Invalid sequences become U+FFFD; nothing ever fails.
enum Charsets {
    enum Decoder: Equatable {
        case utf8
        /// us-ascii or no label: ASCII, else UTF-8 if it is valid, else windows-1252.
        case guess
        case windows1252
        case iconv(String)

        /// Whether pure ASCII bytes mean ASCII text (not so for ISO-2022, UTF-7, UTF-16/32, HZ).
        var isASCIICompatible: Bool {
            guard case .iconv(let name) = self else { return true }
            return !(name.hasPrefix("ISO-2022") || name.hasPrefix("UTF-7") || name.hasPrefix("UTF-16")
                || name.hasPrefix("UTF-32") || name.hasPrefix("UCS") || name.hasPrefix("HZ") || name.hasPrefix("UNICODE"))
        }
    }

    /// Decodes `bytes` labelled `label` (nil or unknown: guessed).
    static func decode(_ bytes: [UInt8], charset label: String?) -> String {
        let decoder = decoder(for: label)
        if isASCII(bytes) && decoder.isASCIICompatible { return String(decoding: bytes, as: UTF8.self) }
        switch decoder {
        case .utf8:
            if let valid = String(validating: bytes, as: UTF8.self) { return valid }
            // Mislabelled Latin-1 (not a single valid multi-byte sequence) reads better as such.
            return hasUTF8Sequence(bytes) ? String(decoding: bytes, as: UTF8.self) : windows1252(bytes)
        case .guess:
            return guess(bytes)
        case .windows1252:
            return windows1252(bytes)
        case .iconv(let name):
            return viaIconv(bytes, from: name) ?? guess(bytes)
        }
    }

    /// UTF-8 when valid, else windows-1252: for 8-bit header bytes and unlabelled bodies.
    static func guess(_ bytes: [UInt8]) -> String {
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        return windows1252(bytes)
    }

    static func isASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            let count = buffer.count
            // Eight bytes at a time.
            if let base = buffer.baseAddress {
                let raw = UnsafeRawPointer(base)
                while index + 8 <= count {
                    if raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                    index += 8
                }
            }
            while index < count {
                if buffer[index] >= 0x80 { return false }
                index += 1
            }
            return true
        }
    }

    static func decoder(for label: String?) -> Decoder {
        guard let label else { return .guess }
        // Lower-cased, without quotes and white space, without an RFC 2231 `*lang` suffix.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(label.utf8.count)
        for byte in label.utf8 {
            if byte == UInt8(ascii: "*") { break }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == 0x20 || byte == 0x09 { continue }
            guard bytes.count < 40 else { return .guess }
            let lower = MIMEParameters.lowercase(byte)
            guard isLabelByte(lower) else { return .guess }
            bytes.append(lower)
        }
        guard !bytes.isEmpty else { return .guess }
        var name = String(decoding: bytes, as: UTF8.self)
        switch name {
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8": return .utf8
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "unknown-8bit", "x-unknown",
             "unknown", "default", "8bit", "7bit", "x-user-defined", "charset", "none":
            return .guess
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819",
             "windows-1252", "cp1252", "x-cp1252", "win-1252":
            return .windows1252
        case "iso-8859-1:1987", "iso_8859-1:1987", "iso-ir-100", "csisolatin1": return .windows1252
        case "gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "x-euc-cn", "csgb2312", "gb_2312-80", "chinese", "gb18030":
            return .iconv("GB18030")
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "x-ms-cp932":
            return .iconv("CP932")
        case "iso-2022-jp", "csiso2022jp", "iso-2022-jp-2": return .iconv("ISO-2022-JP-2")
        case "euc-kr", "ks_c_5601-1987", "ks_c_5601", "ks_c_5601-1989", "ksc5601", "cp949", "x-windows-949", "korean":
            return .iconv("CP949")
        case "big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5": return .iconv("BIG5-HKSCS")
        case "iso-8859-9", "latin5", "windows-1254", "cp1254": return .iconv("CP1254")
        case "iso-8859-11", "tis-620", "windows-874", "cp874": return .iconv("CP874")
        case "iso-8859-8-i", "iso-8859-8-e": return .iconv("ISO-8859-8")
        case "utf-7", "unicode-1-1-utf-7": return .iconv("UTF-7")
        case "macintosh", "mac", "x-mac-roman", "macroman": return .iconv("MACINTOSH")
        default:
            if name.hasPrefix("x-") { name.removeFirst(2) }
            if name.hasPrefix("windows-") { return .iconv("CP" + name.dropFirst("windows-".count)) }
            return .iconv(name.uppercased())
        }
    }

    private static func isLabelByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    /// Whether the bytes contain at least one well-formed multi-byte UTF-8 sequence.
    private static func hasUTF8Sequence(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < bytes.count {
            let lead = bytes[index]
            let length = lead >= 0xF0 && lead < 0xF5 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead < 0xE0 ? 2 : 0
            if length > 0, index + length <= bytes.count,
               bytes[(index + 1)..<(index + length)].allSatisfy({ $0 & 0xC0 == 0x80 }) {
                return true
            }
            index += 1
        }
        return false
    }

    /// windows-1252's 0x80–0x9F; the five unassigned positions keep their C1 code points.
    private static let windows1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    static func windows1252(_ bytes: [UInt8]) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.count + bytes.count / 4)
        let high = windows1252High
        for byte in bytes {
            var scalar = UInt32(byte)
            if byte >= 0x80 && byte < 0xA0 { scalar = UInt32(high[Int(byte) - 0x80]) }
            appendUTF8(scalar, to: &utf8)
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    @inline(__always)
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// Charsets iconv was asked about: known ones keep one descriptor open for the life of the
    /// process. That descriptor is never used to convert (each call opens its own, so nothing is
    /// shared between threads); it only keeps glibc from unloading the charset's module, which
    /// would otherwise be loaded and unloaded on every call (a dlopen each time).
    private static let residents = Mutex<[String: Bool]>([:])

    /// Whether iconv knows the charset.
    static func canOpen(_ charset: String) -> Bool {
        if let known = residents.withLock({ $0[charset] }) { return known }
        let descriptor = iconv_open("UTF-8", charset)
        let known = Int(bitPattern: descriptor) != -1
        residents.withLock { table in
            if table[charset] == nil && table.count < 256 {
                table[charset] = known
            } else if known {
                iconv_close(descriptor)
            }
        }
        return known
    }

    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Converts through iconv to UTF-8; nil when iconv does not know the charset.
    static func viaIconv(_ bytes: [UInt8], from charset: String) -> String? {
        guard canOpen(charset) else { return nil }
        if bytes.isEmpty { return "" }
        let descriptor = iconv_open("UTF-8", charset)
        if Int(bitPattern: descriptor) == -1 { return nil }
        defer { iconv_close(descriptor) }
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 64)
        var produced = 0
        var input = bytes
        input.withUnsafeMutableBufferPointer { inBuffer in
            var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress!)
                .assumingMemoryBound(to: CChar.self)
            var inLeft = inBuffer.count
            while true {
                if output.count - produced < 16 { output.append(contentsOf: repeatElement(0, count: output.count)) }
                let (result, code, wrote) = output.withUnsafeMutableBufferPointer { outBuffer -> (Int, Int32, Int) in
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress! + produced)
                        .assumingMemoryBound(to: CChar.self)
                    var outLeft = outBuffer.count - produced
                    let before = outLeft
                    let result = inLeft == 0
                        ? iconv(descriptor, nil, nil, &outPointer, &outLeft)  // flush shift state
                        : iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (result, result == -1 ? errno : 0, before - outLeft)
                }
                produced += wrote
                if result != -1 {
                    if inLeft == 0 { break }
                    continue
                }
                switch code {
                case E2BIG:
                    output.append(contentsOf: repeatElement(0, count: output.count))
                case EILSEQ:
                    appendReplacement(&output, &produced)
                    inPointer = inPointer.map { $0 + 1 }
                    inLeft -= 1
                    if inLeft == 0 { return }
                default:  // EINVAL: a sequence cut off at the end
                    appendReplacement(&output, &produced)
                    return
                }
            }
        }
        output.removeSubrange(produced...)
        return String(decoding: output, as: UTF8.self)
    }

    private static func appendReplacement(_ output: inout [UInt8], _ produced: inout Int) {
        if output.count - produced < 3 { output.append(contentsOf: repeatElement(0, count: 16)) }
        for byte in replacement {
            output[produced] = byte
            produced += 1
        }
    }
}
