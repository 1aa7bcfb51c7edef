#if canImport(Glibc)
import Glibc
#endif

/// Byte classes and small helpers from RFC 9110/9112, shared by the parser, the headers type and
/// the router. They work on bytes so that inner loops never touch `String`.
enum HTTPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let comma: UInt8 = 0x2C
    static let semicolon: UInt8 = 0x3B
    static let percent: UInt8 = 0x25
    static let question: UInt8 = 0x3F
    static let slash: UInt8 = 0x2F

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    @inline(__always)
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    /// field-value bytes: HTAB, SP, VCHAR, obs-text. No CR, LF, NUL or other controls, no DEL.
    @inline(__always)
    static func isFieldValueByte(_ b: UInt8) -> Bool {
        b == htab || (b >= 0x20 && b != 0x7F)
    }

    /// Whether every byte in `bytes[start..<end]` is a field-value byte; eight at a time.
    @inline(__always)
    static func allFieldValueBytes(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var k = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while k + 8 <= end {
            let w = UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self)
            // A byte below 0x20, a DEL, or a byte with the high bit set needs a closer look.
            let below20 = (w &- ones &* 0x20) & ~w & highs
            let x = w ^ (ones &* 0x7F)
            let isDEL = (x &- ones) & ~x & highs
            if below20 | isDEL != 0 {
                for j in k..<(k + 8) where !isFieldValueByte(bytes[j]) { return false }
            }
            k += 8
        }
        while k < end {
            if !isFieldValueByte(bytes[k]) { return false }
            k += 1
        }
        return true
    }

    /// Header names as clients usually spell them, returned as literals so the common ones cost
    /// no allocation or UTF-8 validation. Exact-case match only; anything else is decoded as sent.
    @inline(__always)
    static func commonHeaderName(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        let p = base + start
        let n = end - start
        @inline(__always) func equals(_ literal: StaticString) -> Bool { memcmp(literal.utf8Start, p, n) == 0 }
        switch n {
        case 4: if equals("Host") { return "Host" }
        case 6:
            if equals("Accept") { return "Accept" }
            if equals("Cookie") { return "Cookie" }
            if equals("Expect") { return "Expect" }
            if equals("Origin") { return "Origin" }
        case 7:
            if equals("Referer") { return "Referer" }
            if equals("Upgrade") { return "Upgrade" }
        case 10:
            if equals("User-Agent") { return "User-Agent" }
            if equals("Connection") { return "Connection" }
        case 12:
            if equals("Content-Type") { return "Content-Type" }
            if equals("X-Request-Id") { return "X-Request-Id" }
        case 13:
            if equals("Authorization") { return "Authorization" }
            if equals("Cache-Control") { return "Cache-Control" }
        case 14: if equals("Content-Length") { return "Content-Length" }
        case 15:
            if equals("Accept-Encoding") { return "Accept-Encoding" }
            if equals("Accept-Language") { return "Accept-Language" }
            if equals("X-Forwarded-For") { return "X-Forwarded-For" }
            if equals("Idempotency-Key") { return "Idempotency-Key" }
        case 17: if equals("Transfer-Encoding") { return "Transfer-Encoding" }
        case 18: if equals("X-Twilio-Signature") { return "X-Twilio-Signature" }
        default: break
        }
        return nil
    }

    /// Bytes allowed in an origin-form request target as sent (visible ASCII).
    @inline(__always)
    static func isTargetByte(_ b: UInt8) -> Bool { b > 0x20 && b < 0x7F }

    @inline(__always)
    static func isOWS(_ b: UInt8) -> Bool { b == sp || b == htab }

    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        default: return nil
        }
    }

    /// ASCII case-insensitive equality of a byte range with a lowercase ASCII literal.
    @inline(__always)
    static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ lower: StaticString) -> Bool {
        let n = lower.utf8CodeUnitCount
        guard end - start == n else { return false }
        let l = lower.utf8Start
        for i in 0..<n where lowercased(bytes[start + i]) != l[i] { return false }
        return true
    }

    /// ASCII case-insensitive comparison of two strings (header names, tokens).
    static func caseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { ua in
            b.withUTF8 { ub in
                guard ua.count == ub.count else { return false }
                for i in 0..<ua.count where lowercased(ua[i]) != lowercased(ub[i]) { return false }
                return true
            }
        }
    }

    /// Percent-decodes `bytes[start..<end]`. `plusAsSpace` for query components (form encoding).
    /// Returns nil for a malformed escape or an encoded NUL.
    static func percentDecode(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, plusAsSpace: Bool) -> String? {
        var needsWork = false
        for i in start..<end where bytes[i] == percent || (plusAsSpace && bytes[i] == 0x2B) {
            needsWork = true
            break
        }
        if !needsWork {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var i = start
        while i < end {
            let b = bytes[i]
            if b == percent {
                guard i + 2 < end, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) else { return nil }
                let v = UInt8(h * 16 + l)
                if v == 0 { return nil }
                out.append(v)
                i += 3
            } else {
                out.append(plusAsSpace && b == 0x2B ? sp : b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func percentDecode(_ s: String, plusAsSpace: Bool) -> String? {
        var s = s
        return s.withUTF8 { percentDecode($0, 0, $0.count, plusAsSpace: plusAsSpace) }
    }
}
