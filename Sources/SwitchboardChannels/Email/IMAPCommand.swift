/// The few commands the client sends, as wire text without tag and line end. Arguments are
/// quoted or encoded here, so nothing an admin or a server supplies can inject a command.
public enum IMAPCommand {
    /// A mailbox name as an IMAP string: modified UTF-7 for non-ASCII (RFC 3501 §5.1.3), then quoted.
    public static func mailbox(_ name: String) -> String {
        quoted(modifiedUTF7(name))
    }

    /// `"text"` with `\` and `"` escaped. The text must not contain CR or LF (settings refuse them).
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for ch in text {
            if ch == "\\" || ch == "\"" { out.append("\\") }
            out.append(ch)
        }
        return out + "\""
    }

    /// RFC 3501 §5.1.3: printable ASCII stays ("&" becomes "&-"); other runs become
    /// `&` + base64 (with `,` for `/`, no padding) of their UTF-16 + `-`.
    public static func modifiedUTF7(_ name: String) -> String {
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes.append(UInt8(unit >> 8)); bytes.append(UInt8(unit & 0xFF)) }
            out += "&" + base64(bytes) + "-"
            pending.removeAll()
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending.append(contentsOf: String(scalar).utf16)
            }
        }
        flush()
        return out
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")
        var out = ""
        var k = 0
        while k < bytes.count {
            let b0 = bytes[k], b1 = k + 1 < bytes.count ? bytes[k + 1] : 0, b2 = k + 2 < bytes.count ? bytes[k + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if k + 1 < bytes.count { out.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
            if k + 2 < bytes.count { out.append(alphabet[Int(b2 & 0x3F)]) }
            k += 3
        }
        return out
    }
}
