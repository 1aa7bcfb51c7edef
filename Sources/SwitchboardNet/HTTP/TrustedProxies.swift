#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address, or a CIDR range of them (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`).
/// IPv4 addresses also match their IPv4-mapped IPv6 form (`::ffff:10.0.0.5`).
public struct IPAddressRange: Sendable, Hashable, CustomStringConvertible {
    /// 16 bytes; IPv4 is stored IPv4-mapped.
    private let network: [UInt8]
    private let prefixBits: Int
    public let description: String

    /// Parses `address` or `address/bits`; nil when it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let bytes = Self.bytes(String(parts[0])) else { return nil }
        let isV4 = !parts[0].contains(":")
        var bits = 128
        if parts.count == 2 {
            guard let given = Int(parts[1]), given >= 0, given <= (isV4 ? 32 : 128) else { return nil }
            bits = isV4 ? given + 96 : given
        }
        var masked = bytes
        for i in 0..<16 {
            let keep = max(0, min(8, bits - i * 8))
            masked[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        network = masked
        prefixBits = bits
        description = text
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        var remaining = prefixBits
        for i in 0..<16 where remaining > 0 {
            let keep = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            if bytes[i] & mask != network[i] { return false }
            remaining -= keep
        }
        return true
    }

    /// The 16-byte form of a numeric address (brackets and a zone id tolerated), nil otherwise.
    static func bytes(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let raw = withUnsafeBytes(of: &v4.s_addr) { Array($0) }
            return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + raw
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// The peers whose forwarding headers are believed: the reverse proxies in front of a TCP
/// listener. Empty means no one's: headers are ignored and the TCP peer is the client.
public struct TrustedProxies: Sendable, Hashable {
    public let ranges: [IPAddressRange]
    /// Entries that did not parse (the configuration reader reports them; here they match nothing).
    public let invalid: [String]

    public init(_ specs: [String]) {
        var ranges: [IPAddressRange] = []
        var invalid: [String] = []
        for spec in specs {
            if let range = IPAddressRange(spec) { ranges.append(range) } else { invalid.append(spec) }
        }
        self.ranges = ranges
        self.invalid = invalid
    }

    public static let none = TrustedProxies([])

    public var isEmpty: Bool { ranges.isEmpty }

    public func contains(_ address: String) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    public func contains(_ peer: HTTPPeer) -> Bool {
        if case .tcp(let address, _) = peer { return contains(address) }
        return false
    }
}
