import SwitchboardCore

/// Settings of the `twilio` adapter: Twilio's inbound SMS/MMS webhook on a TCP listener.
///
///     "twilio-sms": {
///       "type": "twilio",
///       "listener": "web",
///       "path": "/sms/twilio",
///       "auth_token": "env:TWILIO_AUTH_TOKEN",
///       "public_url": "https://support.example.com/sms/twilio",
///       "default_region": "US"
///     }
public struct TwilioAdapterSettings: AdapterSettings, Hashable {
    public var endpoint: WebhookEndpointSettings
    /// The account's Auth Token: the HMAC-SHA1 key of `X-Twilio-Signature`.
    public var authToken: SecretReference
    /// A SharedKey secret, for webhooks signed per `X-Twilio-Webhooks-Signature-Settings`.
    public var sharedKey: SecretReference?
    /// When set, SharedKey-signed requests must name this key id.
    public var sharedKeyID: String?
    /// Outbound SMS through Twilio's Messages API; nil: receive only.
    public var send: SMSSendSettings?

    public init(endpoint: WebhookEndpointSettings, authToken: SecretReference, sharedKey: SecretReference? = nil, sharedKeyID: String? = nil,
                send: SMSSendSettings? = nil) {
        self.endpoint = endpoint
        self.send = send
        self.authToken = authToken
        self.sharedKey = sharedKey
        self.sharedKeyID = sharedKeyID
    }

    public var listenerReferences: [ListenerReference] { [endpoint.listenerReference] }

    public static let adapterType = AdapterType.typed(
        name: "twilio",
        channel: .sms,
        summary: "Twilio inbound SMS/MMS webhooks (X-Twilio-Signature checked) on a TCP listener",
        parse: TwilioAdapterSettings.parse,
        make: { settings, context in TwilioAdapter(settings: settings, context: context) }
    )

    public static func parse(_ reader: ConfigReader) -> TwilioAdapterSettings? {
        let endpoint = WebhookEndpointSettings.parse(reader)
        let token = reader.secret("auth_token", required: true)
        let sharedKey = reader.secret("shared_key")
        let sharedKeyID = reader.string("shared_key_id")
        if sharedKeyID != nil && sharedKey == nil {
            reader.report(.conflict, "shared_key_id is set without shared_key", hint: "add shared_key: env:NAME or remove shared_key_id", key: "shared_key_id")
        }
        let send = SMSSendSettings.parseTwilio(reader.object("send"))
        // A missing token is already an issue (the file is refused); a placeholder lets the
        // listener cross-check run too.
        return TwilioAdapterSettings(endpoint: endpoint, authToken: token ?? .environment("TWILIO_AUTH_TOKEN"),
                                     sharedKey: sharedKey, sharedKeyID: sharedKeyID, send: send)
    }
}
