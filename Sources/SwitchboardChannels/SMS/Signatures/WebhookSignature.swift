import Foundation

/// The generic webhook signature for providers and in-house gateways that are neither Twilio
/// nor Vonage: HMAC-SHA256 over `timestamp + "." + body`, sent as
///
///     X-Timestamp: 1795338900
///     X-Signature: sha256=<hex>
///
/// (header names, the `sha256=` prefix and hex/Base64 are configurable). The timestamp is Unix
/// seconds (milliseconds are recognised by size) and must be within `tolerance` of now, so a
/// captured request cannot be replayed later; inside the window the message id deduplicates.
/// Several signatures separated by `,` are accepted (any one may match), and several secrets
/// may be configured, so that keys rotate without downtime.
public struct WebhookSignature: Sendable {
    public enum Encoding: String, Sendable, Hashable, CaseIterable {
        case hex, base64
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missingSignature
        case missingTimestamp
        case badTimestamp
        case staleTimestamp(seconds: Int)
        case mismatch

        public var description: String {
            switch self {
            case .missingSignature: "no signature header"
            case .missingTimestamp: "no timestamp header"
            case .badTimestamp: "the timestamp is not a number of seconds"
            case .staleTimestamp(let seconds): "the timestamp is \(seconds)s away from now, outside the allowed window"
            case .mismatch: "the signature does not match the timestamp and body"
            }
        }

        public var code: String {
            switch self {
            case .missingSignature: "missing_signature"
            case .missingTimestamp: "missing_timestamp"
            case .badTimestamp: "bad_timestamp"
            case .staleTimestamp: "stale_timestamp"
            case .mismatch: "mismatch"
            }
        }
    }

    public var secrets: [[UInt8]]
    public var prefix: String
    public var encoding: Encoding
    public var tolerance: Duration

    public init(secrets: [[UInt8]], prefix: String = "sha256=", encoding: Encoding = .hex, tolerance: Duration = .seconds(300)) {
        self.secrets = secrets
        self.prefix = prefix
        self.encoding = encoding
        self.tolerance = tolerance
    }

    /// The raw HMAC over `timestamp.body`.
    public static func mac(secret: [UInt8], timestamp: String, body: [UInt8]) -> [UInt8] {
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message += body
        return HMAC.authenticationCode(.sha256, key: secret, message: message)
    }

    /// The header value a sender puts in the signature header.
    public func headerValue(secret: [UInt8], timestamp: String, body: [UInt8]) -> String {
        let mac = Self.mac(secret: secret, timestamp: timestamp, body: body)
        return prefix + (encoding == .hex ? DigestText.hex(mac) : DigestText.base64(mac))
    }

    /// Checks a request's signature and timestamp header values against its body at `now`.
    public func validate(signature: String?, timestamp: String?, body: [UInt8], now: Date) -> Result<Void, Failure> {
        guard let signature, !signature.isEmpty else { return .failure(.missingSignature) }
        guard let timestamp = timestamp?.trimmingCharacters(in: .whitespaces), !timestamp.isEmpty else {
            return .failure(.missingTimestamp)
        }
        var candidates: [[UInt8]] = []
        for part in signature.split(separator: ",") {
            var text = part.trimmingCharacters(in: .whitespaces)
            if !prefix.isEmpty {
                guard text.lowercased().hasPrefix(prefix.lowercased()) else { continue }
                text = String(text.dropFirst(prefix.count))
            }
            let decoded = encoding == .hex ? DigestText.bytes(hex: text) : DigestText.bytes(base64: text)
            if let decoded, decoded.count == 32 { candidates.append(decoded) }
        }
        var matched = false
        for secret in secrets {
            let expected = Self.mac(secret: secret, timestamp: timestamp, body: body)
            for candidate in candidates where HMAC.constantTimeEquals(candidate, expected) { matched = true }
        }
        guard matched else { return .failure(.mismatch) }
        guard var seconds = Double(timestamp), seconds.isFinite else { return .failure(.badTimestamp) }
        if seconds > 100_000_000_000 { seconds /= 1000 }
        let skew = abs(now.timeIntervalSince1970 - seconds)
        if skew > Double(tolerance.components.seconds) { return .failure(.staleTimestamp(seconds: Int(skew))) }
        return .success(())
    }
}
