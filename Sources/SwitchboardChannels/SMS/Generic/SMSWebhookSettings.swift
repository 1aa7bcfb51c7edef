import SwitchboardCore

/// Settings of the `sms-webhook` adapter: a generic signed JSON webhook for other SMS providers
/// and in-house gateways.
///
///     "gateway": {
///       "type": "sms-webhook",
///       "listener": "web",
///       "path": "/sms/gateway",
///       "secret": "env:GATEWAY_WEBHOOK_SECRET",
///       "signature_header": "X-Signature",
///       "signature_prefix": "sha256=",
///       "timestamp_header": "X-Timestamp",
///       "tolerance": "5m",
///       "fields": { "id": "message.id", "from": "message.from", "text": "message.body" },
///       "default_region": "DE"
///     }
public struct SMSWebhookSettings: AdapterSettings, Hashable {
    public var endpoint: WebhookEndpointSettings
    public var secret: SecretReference
    /// Also accepted while a secret is rotated.
    public var previousSecret: SecretReference?
    public var signatureHeader: String
    public var signaturePrefix: String
    public var signatureEncoding: WebhookSignature.Encoding
    public var timestampHeader: String
    public var tolerance: Duration
    public var fields: SMSWebhookParser.FieldMap

    public init(endpoint: WebhookEndpointSettings, secret: SecretReference, previousSecret: SecretReference? = nil,
                signatureHeader: String = "X-Signature", signaturePrefix: String = "sha256=",
                signatureEncoding: WebhookSignature.Encoding = .hex, timestampHeader: String = "X-Timestamp",
                tolerance: Duration = .seconds(300), fields: SMSWebhookParser.FieldMap = .init()) {
        self.endpoint = endpoint
        self.secret = secret
        self.previousSecret = previousSecret
        self.signatureHeader = signatureHeader
        self.signaturePrefix = signaturePrefix
        self.signatureEncoding = signatureEncoding
        self.timestampHeader = timestampHeader
        self.tolerance = tolerance
        self.fields = fields
    }

    public var listenerReferences: [ListenerReference] { [endpoint.listenerReference] }

    public static let adapterType = AdapterType.typed(
        name: "sms-webhook",
        channel: .sms,
        summary: "generic JSON SMS webhook signed with HMAC-SHA256 and a timestamp, on a TCP listener",
        parse: SMSWebhookSettings.parse,
        make: { settings, context in SMSWebhookAdapter(settings: settings, context: context) }
    )

    public static func parse(_ reader: ConfigReader) -> SMSWebhookSettings? {
        let endpoint = WebhookEndpointSettings.parse(reader)
        let secret = reader.secret("secret", required: true)
        let previous = reader.secret("previous_secret")
        let header = reader.string("signature_header", default: "X-Signature")
        let prefix = reader.string("signature_prefix", default: "sha256=", allowEmpty: true)
        let encoding: WebhookSignature.Encoding = reader.choice("signature_encoding", default: .hex)
        let timestampHeader = reader.string("timestamp_header", default: "X-Timestamp")
        for (key, name) in [("signature_header", header), ("timestamp_header", timestampHeader)]
            where !name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) {
            reader.report(.invalidValue, "\(ConfigReader.quote(name)) is not a header name", hint: "e.g. X-Signature", key: key)
        }
        let tolerance = reader.duration("tolerance", default: .seconds(300), in: .seconds(1) ... .seconds(86_400))
        var fields = SMSWebhookParser.FieldMap()
        let fieldReader = reader.object("fields")
        if fieldReader.isPresent, fieldReader.expectObject() {
            fields.id = fieldReader.string("id", default: fields.id)
            fields.from = fieldReader.string("from", default: fields.from)
            fields.to = fieldReader.string("to", default: fields.to)
            fields.text = fieldReader.string("text", default: fields.text)
            fields.sentAt = fieldReader.string("sent_at", default: fields.sentAt)
            fields.media = fieldReader.string("media", default: fields.media)
            fieldReader.reportUnknownKeys()
        }
        // A missing secret is already an issue; a placeholder lets the listener cross-check run.
        return SMSWebhookSettings(endpoint: endpoint, secret: secret ?? .environment("SMS_WEBHOOK_SECRET"), previousSecret: previous, signatureHeader: header,
                                  signaturePrefix: prefix, signatureEncoding: encoding, timestampHeader: timestampHeader,
                                  tolerance: tolerance, fields: fields)
    }
}
