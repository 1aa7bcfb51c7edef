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
        DigestText.base64(HMAC.authenticationCode(algorithm, key: key, message: signedBytes(url: url, suffix: parameterString(parameters))))
    }

    /// Σ name + value over names sorted by code point, each name's distinct values sorted.
    public static func parameterString(_ parameters: FormParameters) -> [UInt8] {
        guard !parameters.isEmpty else { return [] }
        // Sorting the pairs by (name, value) bytes and dropping repeats is the same as sorting the
        // names and, under each, its distinct values.
        var pairs = parameters.pairs.map { (name: Array($0.name.utf8), value: Array($0.value.utf8)) }
        pairs.sort { a, b in
            a.name == b.name ? a.value.lexicographicallyPrecedes(b.value) : a.name.lexicographicallyPrecedes(b.name)
        }
        var out: [UInt8] = []
        out.reserveCapacity(pairs.reduce(0) { $0 + $1.name.count + $1.value.count })
        var previous: (name: [UInt8], value: [UInt8])?
        for pair in pairs {
            if let previous, previous.name == pair.name, previous.value == pair.value { continue }
            out += pair.name
            out += pair.value
            previous = pair
        }
        return out
    }

    private static func signedBytes(url: String, suffix: [UInt8]) -> [UInt8] {
        var bytes = Array(url.utf8)
        bytes += suffix
        return bytes
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
        var suffix: [UInt8] = []
        switch payload {
        case .form(let parameters):
            suffix = Self.parameterString(parameters)
        case .body(let body):
            guard let expected = Self.queryValue(url, "bodySHA256") else { return .failure(.bodyNotCovered) }
            let actual = DigestText.hex(HMAC.digest(.sha256, body))
            guard HMAC.constantTimeEquals(actual, expected) else { return .failure(.bodyHashMismatch) }
        case .none:
            break
        }
        let given = Array(ASCIIText.trimmed(signature).utf8)
        func matches(_ candidate: String) -> Bool {
            let computed = DigestText.base64(HMAC.authenticationCode(algorithm, key: key, message: Self.signedBytes(url: candidate, suffix: suffix)))
            return HMAC.constantTimeEquals(Array(computed.utf8), given)
        }
        // The URL as received first (it is one of the two forms the SDK tries), then the other.
        if matches(url) { return .success(()) }
        let variants = Self.urlVariants(url)
        let other = variants.withPort == url ? variants.withoutPort : variants.withPort
        if other != url, matches(other) { return .success(()) }
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
