import Foundation
import SwitchboardCore

/// Checks `X-Twilio-Signature` the way Twilio's own `RequestValidator` does (twilio-python
/// 9.13, `twilio/request_validator.py`), so a request that SDK accepts is accepted here and one
/// it rejects is rejected:
///
/// - signature = Base64(HMAC(key, URL + Σ name+value)) over the parameters sorted by name; a
///   repeated name contributes its distinct values sorted. No separators.
/// - The URL is exactly what Twilio called (scheme, host, port if any, path, query). It is tried
///   as given with the default port added and with any port removed, because Twilio's signing is
///   inconsistent about ports.
/// - A JSON body is covered through `?bodySHA256=<hex sha256(body)>` in the URL; the signature is
///   then over the URL alone. A JSON body without that parameter is not covered and is refused.
/// - A GET webhook carries its parameters in the URL, so the signature is over the URL alone.
/// - `X-Twilio-Webhooks-Signature-Settings: key=…,algorithm=HMAC_SHA256` means the request was
///   signed with a SharedKey secret and the named algorithm; without it, HMAC-SHA1 with the
///   account's Auth Token.
///
/// Comparisons are constant-time. Pure apart from OpenSSL: tested against the documented vector
/// and, end to end, against the SDK.
public struct TwilioSignature: Sendable {
    public static let header = "X-Twilio-Signature"
    public static let settingsHeader = "X-Twilio-Webhooks-Signature-Settings"

    /// Why a request was refused. Never contains the secret or the body.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missingSignature
        case mismatch
        case bodyHashMismatch
        case bodyNotCovered
        case unsupportedAlgorithm(String)
        case noSharedKey
        case unknownSharedKey

        public var description: String {
            switch self {
            case .missingSignature: "no X-Twilio-Signature header"
            case .mismatch: "the signature does not match the URL and parameters"
            case .bodyHashMismatch: "bodySHA256 in the URL does not match the body"
            case .bodyNotCovered: "a JSON body without bodySHA256 in the URL is not covered by the signature"
            case .unsupportedAlgorithm(let name): "unsupported signature algorithm '\(name)'"
            case .noSharedKey: "signed with a SharedKey but no shared_key is configured"
            case .unknownSharedKey: "signed with a SharedKey id that is not the configured shared_key_id"
            }
        }

        /// A short stable code for metrics labels and logs.
        public var code: String {
            switch self {
            case .missingSignature: "missing_signature"
            case .mismatch: "mismatch"
            case .bodyHashMismatch: "body_hash_mismatch"
            case .bodyNotCovered: "body_not_covered"
            case .unsupportedAlgorithm: "unsupported_algorithm"
            case .noSharedKey, .unknownSharedKey: "unknown_key"
            }
        }
    }

    /// What the request carried besides the URL.
    public enum Payload: Sendable {
        /// A form POST: its decoded parameters.
        case form(FormParameters)
        /// A JSON (or other non-form) body, covered by `bodySHA256`.
        case body([UInt8])
        /// A GET: the parameters are in the URL.
        case none
    }

    public var authToken: [UInt8]
    public var sharedKey: [UInt8]?
    /// When set, a SharedKey-signed request must name this key id.
    public var sharedKeyID: String?

    public init(authToken: [UInt8], sharedKey: [UInt8]? = nil, sharedKeyID: String? = nil) {
        self.authToken = authToken
        self.sharedKey = sharedKey
        self.sharedKeyID = sharedKeyID
    }

    // MARK: Computing

    /// The signature Twilio would send for `url` and `parameters`.
    public static func signature(url: String, parameters: FormParameters, key: [UInt8],
                                 algorithm: DigestAlgorithm = .sha1) -> String {
        var message = Array(url.utf8)
        appendParameterString(parameters, to: &message)
        return DigestText.base64(HMAC.authenticationCode(algorithm, key: key, message: message))
    }

    /// Σ name + value over names sorted by code point, each name's distinct values sorted.
    public static func parameterString(_ parameters: FormParameters) -> [UInt8] {
        var out: [UInt8] = []
        appendParameterString(parameters, to: &out)
        return out
    }

    /// Appends `parameterString(parameters)` to `out`. Sorting the pairs by (name, value) bytes
    /// and dropping repeats is the same as sorting the names and, under each, its distinct values.
    /// Each string's bytes are read once, into one buffer; the pairs are sorted as ranges of it,
    /// keyed by the first eight bytes of the name (Twilio's names differ there), so most
    /// comparisons are one integer comparison. Equal keys compare the whole name, then the value,
    /// byte by byte (never `String` order, which is Unicode's).
    static func appendParameterString(_ parameters: FormParameters, to out: inout [UInt8]) {
        let pairs = parameters.pairs
        guard !pairs.isEmpty else { return }
        var bytes: [UInt8] = []
        var order: [SortedPair] = []
        order.reserveCapacity(pairs.count)
        for pair in pairs {
            var name = pair.name, value = pair.value
            let start = bytes.count
            name.withUTF8 { bytes.append(contentsOf: $0) }
            let nameEnd = bytes.count
            value.withUTF8 { bytes.append(contentsOf: $0) }
            var key: UInt64 = 0
            for index in start..<(start + 8) { key = key << 8 | (index < nameEnd ? UInt64(bytes[index]) : 0) }
            order.append(SortedPair(key: key, start: start, nameEnd: nameEnd, end: bytes.count))
        }
        bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            func compare(_ a: SortedPair, _ b: SortedPair) -> Int {
                if a.key != b.key { return a.key < b.key ? -1 : 1 }
                let names = compareBytes(base, a.start, a.nameEnd, b.start, b.nameEnd)
                return names != 0 ? names : compareBytes(base, a.nameEnd, a.end, b.nameEnd, b.end)
            }
            order.sort { compare($0, $1) < 0 }
            out.reserveCapacity(out.count + buffer.count)
            var previous: SortedPair?
            for pair in order {
                if let previous, compare(previous, pair) == 0 { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[pair.start..<pair.end]))
                previous = pair
            }
        }
    }

    /// One pair's name and value as ranges of the buffer `appendParameterString` reads them into.
    private struct SortedPair {
        /// The name's first eight bytes, big-endian, zero-padded: ordering by it agrees with byte
        /// order wherever two keys differ.
        var key: UInt64
        var start: Int
        var nameEnd: Int
        var end: Int
    }

    /// Negative, zero or positive as the bytes `a..<aEnd` sort before, with, or after `b..<bEnd`.
    private static func compareBytes(_ base: UnsafePointer<UInt8>, _ a: Int, _ aEnd: Int, _ b: Int, _ bEnd: Int) -> Int {
        let common = min(aEnd - a, bEnd - b)
        if common > 0 {
            let c = memcmp(base + a, base + b, common)
            if c != 0 { return Int(c) }
        }
        return (aEnd - a) - (bEnd - b)
    }

    /// Python sorts strings by code point; UTF-8 byte order is the same order.
    static func utf8Less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// The URL with the scheme's default port added (when it has no port) and with any port
    /// removed, as the SDK's `add_port` / `remove_port` make them.
    public static func urlVariants(_ url: String) -> (withPort: String, withoutPort: String) {
        // Byte-level (the URL is ASCII in practice): Foundation's range(of:) costs more than the HMAC.
        let u = url.utf8
        guard let colon = u.firstIndex(of: UInt8(ascii: ":")) else { return (url, url) }
        let slash1 = u.index(after: colon)
        guard slash1 < u.endIndex, u[slash1] == UInt8(ascii: "/") else { return (url, url) }
        let slash2 = u.index(after: slash1)
        guard slash2 < u.endIndex, u[slash2] == UInt8(ascii: "/") else { return (url, url) }
        let isHTTPS = ASCIIText.equalsIgnoringCase(url[..<colon], "https")
        let authorityStart = u.index(after: slash2)
        let authorityEnd = u[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? u.endIndex
        // The host part ends at the last ':' outside an IPv6 literal (after any userinfo '@').
        let hostStart = u[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")).map { u.index(after: $0) } ?? authorityStart
        var portColon: String.Index?
        if let close = u[hostStart..<authorityEnd].lastIndex(of: UInt8(ascii: "]")) {
            let after = u.index(after: close)
            if after < authorityEnd, u[after] == UInt8(ascii: ":") { portColon = after }
        } else {
            portColon = u[hostStart..<authorityEnd].lastIndex(of: UInt8(ascii: ":"))
        }
        if let portColon, let port = Int(url[u.index(after: portColon)..<authorityEnd]), port != 0 {
            return (url, String(url[..<portColon]) + String(url[authorityEnd...]))
        }
        let defaultPort = isHTTPS ? ":443" : ":80"
        return (String(url[..<authorityEnd]) + defaultPort + String(url[authorityEnd...]), url)
    }

    /// The first value of `name` in the URL's query, decoded.
    static func queryValue(_ url: String, _ name: String) -> String? {
        guard let q = url.firstIndex(of: "?") else { return nil }
        var query = url[url.index(after: q)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        return FormParameters(encoded: Array(query.utf8)).pairs.first { $0.name == name && !$0.value.isEmpty }?.value
    }

    // MARK: Checking

    /// Checks a request. `url` is the full URL the provider called (see `WebhookURL`);
    /// `settings` is the value of `X-Twilio-Webhooks-Signature-Settings`, if any.
    public func validate(url: String, payload: Payload, signature: String?, settings: String? = nil) -> Result<Void, Failure> {
        guard let signature, !signature.isEmpty else { return .failure(.missingSignature) }
        var key = authToken
        var algorithm = DigestAlgorithm.sha1
        if let settings, !ASCIIText.trimmed(settings).isEmpty {
            let parsed = Self.parseSettings(settings)
            switch parsed.algorithm?.uppercased() {
            case nil, "HMAC_SHA1"?: algorithm = .sha1
            case "HMAC_SHA256"?: algorithm = .sha256
            case let other?: return .failure(.unsupportedAlgorithm(other))
            }
            guard let sharedKey else { return .failure(.noSharedKey) }
            if let sharedKeyID, parsed.key != sharedKeyID { return .failure(.unknownSharedKey) }
            key = sharedKey
        }
        // The signed bytes: the URL, then the parameters; the URL is swapped for the other form
        // in place if the first does not match.
        var message = Array(url.utf8)
        let urlLength = message.count
        switch payload {
        case .form(let parameters):
            Self.appendParameterString(parameters, to: &message)
        case .body(let body):
            guard let expected = Self.queryValue(url, "bodySHA256") else { return .failure(.bodyNotCovered) }
            let actual = DigestText.hex(HMAC.digest(.sha256, body))
            guard HMAC.constantTimeEquals(actual, expected) else { return .failure(.bodyHashMismatch) }
        case .none:
            break
        }
        let given = Array(ASCIIText.trimmed(signature).utf8)
        func matches(_ message: [UInt8]) -> Bool {
            let computed = DigestText.base64(HMAC.authenticationCode(algorithm, key: key, message: message))
            return HMAC.constantTimeEquals(Array(computed.utf8), given)
        }
        // The URL as received first (it is one of the two forms the SDK tries), then the other.
        if matches(message) { return .success(()) }
        let variants = Self.urlVariants(url)
        let other = variants.withPort == url ? variants.withoutPort : variants.withPort
        if other != url {
            message.replaceSubrange(0..<urlLength, with: other.utf8)
            if matches(message) { return .success(()) }
        }
        return .failure(.mismatch)
    }

    /// `key=<id>,algorithm=<name>` (either order, spaces allowed).
    static func parseSettings(_ header: String) -> (key: String?, algorithm: String?) {
        var key: String?
        var algorithm: String?
        for part in header.split(separator: ",") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let name = part[..<eq].trimmingCharacters(in: .whitespaces)
            let value = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { continue }
            if name == "algorithm" { algorithm = value } else if name == "key" { key = value }
        }
        return (key, algorithm)
    }
}
