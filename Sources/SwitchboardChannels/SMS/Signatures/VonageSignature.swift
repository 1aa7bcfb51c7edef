import Foundation

/// Checks the `sig` parameter of Vonage (SMS API) signed webhooks the way the official SDK does
/// (vonage 4.9.1, `vonage_http_client/auth.py`, `sign_params` / `check_signature`):
///
/// - the signed text is `&name=value` for every parameter except `sig`, sorted by name, with
///   `&` and `=` inside values replaced by `_`;
/// - `sig` = lower-case hex HMAC-(md5|sha1|sha256|sha512)(signature secret, that text);
///   the received `sig` is lower-cased before the constant-time comparison;
/// - `md5hash` is the older dashboard option "MD5 hash": md5(text + secret), not an HMAC. The
///   current SDK does not implement it; it follows the previous SDKs (nexmo-python) and is not
///   checked against an SDK here.
///
/// The SDK signs with the current time when `timestamp` is missing, so a request without one
/// cannot be verified: it is refused. `timestamp` must also be within `maxAge` of now, which
/// bounds replays (duplicates inside the window are caught by the message id).
public struct VonageSignature: Sendable {
    public enum Method: String, Sendable, Hashable, CaseIterable {
        case md5, sha1, sha256, sha512, md5hash
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missingSignature
        case missingTimestamp
        case staleTimestamp(seconds: Int)
        case mismatch

        public var description: String {
            switch self {
            case .missingSignature: "no sig parameter"
            case .missingTimestamp: "no timestamp parameter (required with a signature)"
            case .staleTimestamp(let seconds): "timestamp is \(seconds)s away from now, outside the allowed window"
            case .mismatch: "sig does not match the parameters"
            }
        }

        public var code: String {
            switch self {
            case .missingSignature: "missing_signature"
            case .missingTimestamp: "missing_timestamp"
            case .staleTimestamp: "stale_timestamp"
            case .mismatch: "mismatch"
            }
        }
    }

    public var secret: [UInt8]
    public var method: Method
    /// How far `timestamp` may be from now; nil: not checked.
    public var maxAge: Duration?

    public init(secret: [UInt8], method: Method, maxAge: Duration? = .seconds(86_400 + 300)) {
        self.secret = secret
        self.method = method
        self.maxAge = maxAge
    }

    /// The text that is signed: `&name=value` sorted by name, `sig` left out. A repeated name
    /// counts once, with its first value (the SDK takes a dict).
    public static func signedText(_ parameters: FormParameters) -> [UInt8] {
        var first: [String: String] = [:]
        for pair in parameters where pair.name != "sig" && first[pair.name] == nil { first[pair.name] = pair.value }
        var out: [UInt8] = []
        for name in first.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            out.append(UInt8(ascii: "&"))
            out += name.utf8
            out.append(UInt8(ascii: "="))
            for b in first[name]!.utf8 {
                out.append(b == UInt8(ascii: "&") || b == UInt8(ascii: "=") ? UInt8(ascii: "_") : b)
            }
        }
        return out
    }

    /// The `sig` Vonage would send for these parameters.
    public static func signature(_ parameters: FormParameters, secret: [UInt8], method: Method) -> String {
        let text = signedText(parameters)
        switch method {
        case .md5: return DigestText.hex(HMAC.authenticationCode(.md5, key: secret, message: text))
        case .sha1: return DigestText.hex(HMAC.authenticationCode(.sha1, key: secret, message: text))
        case .sha256: return DigestText.hex(HMAC.authenticationCode(.sha256, key: secret, message: text))
        case .sha512: return DigestText.hex(HMAC.authenticationCode(.sha512, key: secret, message: text))
        case .md5hash: return DigestText.hex(HMAC.digest(.md5, text + secret))
        }
    }

    /// Checks `parameters` (all of them, `sig` included) at time `now`.
    public func validate(_ parameters: FormParameters, now: Date) -> Result<Void, Failure> {
        guard let given = parameters["sig"], !given.isEmpty else { return .failure(.missingSignature) }
        guard let timestampText = parameters["timestamp"], !timestampText.isEmpty else { return .failure(.missingTimestamp) }
        let expected = Self.signature(parameters, secret: secret, method: method)
        guard HMAC.constantTimeEquals(Array(given.lowercased().utf8), Array(expected.utf8)) else { return .failure(.mismatch) }
        // Checked after the signature, so that a forged timestamp is reported as a forgery.
        if let maxAge {
            guard let seconds = Double(timestampText) else { return .failure(.missingTimestamp) }
            let skew = abs(now.timeIntervalSince1970 - seconds)
            if skew > Double(maxAge.components.seconds) { return .failure(.staleTimestamp(seconds: Int(skew))) }
        }
        return .success(())
    }
}
