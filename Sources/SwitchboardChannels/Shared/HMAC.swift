import CCrypto
import Foundation

/// The digests webhook providers sign with. Each maps to OpenSSL's EVP implementation: nothing
/// cryptographic is written by hand (DESIGN §2).
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable {
    case md5, sha1, sha256, sha512

    /// Output length in bytes.
    public var byteCount: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha256: 32
        case .sha512: 64
        }
    }

    var evp: OpaquePointer? {
        switch self {
        case .md5: sb_evp_md5()
        case .sha1: sb_evp_sha1()
        case .sha256: sb_evp_sha256()
        case .sha512: sb_evp_sha512()
        }
    }
}

/// HMAC and plain digests through OpenSSL's libcrypto, and the constant-time comparison every
/// signature check must use. Stateless; safe from any thread.
public enum HMAC {
    /// HMAC-`algorithm`(key, message), raw bytes.
    public static func authenticationCode(_ algorithm: DigestAlgorithm, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    // A zero-length key or message still needs a valid pointer.
                    let keyPointer = UnsafeRawPointer(k.baseAddress) ?? UnsafeRawPointer(o.baseAddress!)
                    let messagePointer = m.baseAddress ?? UnsafePointer(o.baseAddress!)
                    return CCrypto.HMAC(algorithm.evp, keyPointer, Int32(k.count), messagePointer, m.count,
                                        o.baseAddress, &length) != nil
                }
            }
        }
        precondition(ok && Int(length) == algorithm.byteCount, "OpenSSL HMAC failed")
        return Array(out.prefix(Int(length)))
    }

    public static func authenticationCode(_ algorithm: DigestAlgorithm, key: [UInt8], message: String) -> [UInt8] {
        authenticationCode(algorithm, key: key, message: Array(message.utf8))
    }

    /// A plain digest (no key), raw bytes.
    public static func digest(_ algorithm: DigestAlgorithm, _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in
                EVP_Digest(UnsafeRawPointer(d.baseAddress) ?? UnsafeRawPointer(o.baseAddress!), d.count,
                           o.baseAddress, &length, algorithm.evp, nil) == 1
            }
        }
        precondition(ok && Int(length) == algorithm.byteCount, "OpenSSL digest failed")
        return Array(out.prefix(Int(length)))
    }

    /// Equal contents, in time that depends only on the lengths (OpenSSL's CRYPTO_memcmp). The
    /// lengths of a signature are public, so comparing them first leaks nothing.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0 }
        }
    }

    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        constantTimeEquals(Array(a.utf8), Array(b.utf8))
    }
}

/// Hex and Base64 text for digests.
public enum DigestText {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from hex text (either case); nil when it is not hex.
    public static func bytes(hex text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard Base64 with padding.
    public static func base64(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(base64Alphabet[Int(n >> 18 & 63)])
            out.append(base64Alphabet[Int(n >> 12 & 63)])
            out.append(base64Alphabet[Int(n >> 6 & 63)])
            out.append(base64Alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(base64Alphabet[Int(n >> 18 & 63)])
            out.append(base64Alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? base64Alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from standard Base64 (padding optional); nil when it is not Base64.
    public static func bytes(base64 text: String) -> [UInt8]? {
        var padded = text
        let remainder = padded.utf8.count % 4
        if remainder == 2 { padded += "==" } else if remainder == 3 { padded += "=" }
        return Data(base64Encoded: padded).map { [UInt8]($0) }
    }
}
