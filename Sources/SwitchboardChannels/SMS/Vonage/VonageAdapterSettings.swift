import SwitchboardCore

/// Settings of the `vonage` adapter: Vonage's (SMS API) inbound message webhook.
///
///     "vonage-sms": {
///       "type": "vonage",
///       "listener": "web",
///       "path": "/sms/vonage",
///       "signature_secret": "env:VONAGE_SIGNATURE_SECRET",
///       "signature_method": "sha256",
///       "default_region": "GB"
///     }
public struct VonageAdapterSettings: AdapterSettings, Hashable {
    public var endpoint: WebhookEndpointSettings
    /// The account's signature secret; nil only with `signature_method: "none"`.
    public var signatureSecret: SecretReference?
    /// nil means unsigned webhooks are accepted (`"none"`): not recommended, logged at start.
    public var signatureMethod: VonageSignature.Method?
    /// How far a signed request's `timestamp` may be from now.
    public var maxAge: Duration
    /// How long the parts of a long message are waited for before it is delivered incomplete.
    public var concatTimeout: Duration
    /// Long messages waiting for parts at once.
    public var maxPendingConcat: Int
    /// Outbound SMS through the Vonage SMS API; nil: receive only.
    public var send: SMSSendSettings?

    public init(endpoint: WebhookEndpointSettings, signatureSecret: SecretReference?, signatureMethod: VonageSignature.Method?,
                maxAge: Duration = .seconds(86_700), concatTimeout: Duration = .seconds(900), maxPendingConcat: Int = 10_000,
                send: SMSSendSettings? = nil) {
        self.endpoint = endpoint
        self.send = send
        self.signatureSecret = signatureSecret
        self.signatureMethod = signatureMethod
        self.maxAge = maxAge
        self.concatTimeout = concatTimeout
        self.maxPendingConcat = maxPendingConcat
    }

    public var listenerReferences: [ListenerReference] { [endpoint.listenerReference] }

    public static let adapterType = AdapterType.typed(
        name: "vonage",
        channel: .sms,
        summary: "Vonage SMS API inbound webhooks (sig checked, long messages reassembled) on a TCP listener",
        parse: VonageAdapterSettings.parse,
        make: { settings, context in VonageAdapter(settings: settings, context: context) }
    )

    public static func parse(_ reader: ConfigReader) -> VonageAdapterSettings? {
        let endpoint = WebhookEndpointSettings.parse(reader)
        let methods = VonageSignature.Method.allCases.map(\.rawValue) + ["none"]
        let methodName = reader.oneOf("signature_method", methods, default: "sha256")
        let method = VonageSignature.Method(rawValue: methodName)
        let secret = reader.secret("signature_secret", required: method != nil)
        if method == nil, secret != nil {
            reader.report(.conflict, "signature_secret is set but signature_method is \"none\"",
                          hint: "choose the method set in the Vonage dashboard: md5, sha1, sha256, sha512 or md5hash", key: "signature_method")
        }
        let maxAge = reader.duration("max_age", default: .seconds(86_700), in: .seconds(60) ... .seconds(7 * 86_400))
        let concatTimeout = reader.duration("concat_timeout", default: .seconds(900), in: .seconds(10) ... .seconds(86_400))
        let maxPending = reader.int("max_pending_concat", default: 10_000, in: 1...1_000_000)
        let send = SMSSendSettings.parseVonage(reader.object("send"))
        // A missing secret is already an issue; a placeholder lets the listener cross-check run.
        let reference = method != nil ? (secret ?? .environment("VONAGE_SIGNATURE_SECRET")) : secret
        return VonageAdapterSettings(endpoint: endpoint, signatureSecret: reference, signatureMethod: method,
                                     maxAge: maxAge, concatTimeout: concatTimeout, maxPendingConcat: maxPending, send: send)
    }
}
