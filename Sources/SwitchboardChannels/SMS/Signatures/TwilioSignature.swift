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
        var byName: [String: Set<String>] = [:]
        for pair in parameters { byName[pair.name, default: []].insert(pair.value) }
        var out: [UInt8] = []
        for name in byName.keys.sorted(by: utf8Less) {
            let nameBytes = Array(name.utf8)
            for value in byName[name]!.sorted(by: utf8Less) {
                out += nameBytes
                out += value.utf8
            }
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
        guard let schemeEnd = url.range(of: "://") else { return (url, url) }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let authorityStart = schemeEnd.upperBound
        let rest = url[authorityStart...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? url.endIndex
        let authority = url[authorityStart..<authorityEnd]
        let tail = url[authorityEnd...]
        let prefix = url[..<authorityStart]
        // The host part ends at the last ':' outside an IPv6 literal.
        let hostStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let hostPort = authority[hostStart...]
        var portColon: Substring.Index?
        if let close = hostPort.lastIndex(of: "]") {
            let after = hostPort[hostPort.index(after: close)...]
            if after.first == ":" { portColon = after.startIndex }
        } else if let colon = hostPort.lastIndex(of: ":") {
            portColon = colon
        }
        if let portColon, let port = Int(authority[authority.index(after: portColon)...]), port != 0 {
            let without = String(prefix) + String(authority[..<portColon]) + String(tail)
            return (url, without)
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let with = String(prefix) + String(authority) + ":\(defaultPort)" + String(tail)
        return (with, url)
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
        if let settings, !settings.trimmingCharacters(in: .whitespaces).isEmpty {
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
        let given = Array(signature.trimmingCharacters(in: .whitespaces).utf8)
        // The URL as received first (it is one of the two forms the SDK tries), then the other.
        let variants = Self.urlVariants(url)
        let other = variants.withPort == url ? variants.withoutPort : variants.withPort
        for candidate in other == url ? [url] : [url, other] {
            let computed = DigestText.base64(HMAC.authenticationCode(algorithm, key: key, message: Self.signedBytes(url: candidate, suffix: suffix)))
            if HMAC.constantTimeEquals(Array(computed.utf8), given) { return .success(()) }
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
