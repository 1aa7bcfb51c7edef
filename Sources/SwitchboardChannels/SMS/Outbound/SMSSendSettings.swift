import SwitchboardCore

/// The `send` section of the `twilio` and `vonage` adapters: how answers leave by SMS through the
/// provider's REST API. Without it the adapter only receives.
///
///     "send": {
///       "account_sid": "AC0123…", "from": "+15005550006",          // twilio (auth: the adapter's auth_token)
///       "api_key": "abcd1234", "api_secret": "env:VONAGE_API_SECRET", "from": "ExampleCo",   // vonage
///       "api_url": "https://api.twilio.com",                          // tests point it at a local stand-in
///       "max_segments": 3,
///       "pointer_text": "Our answer is too long for SMS: we sent it to your email.",
///       "status_callback": "https://support.example.com/sms/twilio/status"
///     }
///
/// Long answers: up to `max_segments` segments are sent as one concatenated SMS (the provider
/// splits, the handset joins). A longer answer is sent as `pointer_text` instead when it is set,
/// and otherwise refused (dead-lettered with the segment count): an agent should answer on another
/// channel. Delivery receipts: `status_callback` (default: the adapter's or the listener's public
/// URL plus the webhook path and `/status`) is where the provider reports delivery.
public struct SMSSendSettings: Sendable, Hashable {
    public enum Credentials: Sendable, Hashable {
        /// Twilio: HTTP Basic with the account SID and the auth token (nil: the adapter's `auth_token`).
        case twilio(accountSID: String, authToken: SecretReference?, from: String?, messagingServiceSID: String?)
        /// Vonage SMS API: api_key and api_secret in the form.
        case vonage(apiKey: String, apiSecret: SecretReference, from: String)
    }

    public var credentials: Credentials
    /// nil: the provider's production URL.
    public var apiURL: String?
    public var maxSegments: Int
    public var pointerText: String?
    public var statusCallback: String?
    public var timeout: Duration

    public var longAnswer: SMSLongAnswerPolicy { pointerText.map { .pointer($0) } ?? .refuse }

    public init(credentials: Credentials, apiURL: String? = nil, maxSegments: Int = 3, pointerText: String? = nil,
                statusCallback: String? = nil, timeout: Duration = .seconds(30)) {
        self.credentials = credentials
        self.apiURL = apiURL
        self.maxSegments = maxSegments
        self.pointerText = pointerText
        self.statusCallback = statusCallback
        self.timeout = timeout
    }

    static func parseTwilio(_ reader: ConfigReader) -> SMSSendSettings? {
        guard reader.isPresent, reader.expectObject() else { return nil }
        let sid = reader.string("account_sid", required: true, hint: "the Account SID, AC followed by 32 hex digits")
        let token = reader.secret("auth_token")
        let from = reader.string("from")
        let service = reader.string("messaging_service_sid")
        if from == nil && service == nil {
            reader.report(.missing, "send needs from (an E.164 number) or messaging_service_sid", hint: "\"from\": \"+15005550006\"", key: "from")
        }
        if let from, Identity.normalized(kind: .phone, value: from).isFailure, !from.allSatisfy({ $0.isLetter || $0.isNumber }) {
            reader.report(.invalidValue, "\(ConfigReader.quote(from)) is neither an E.164 number nor an alphanumeric sender id", key: "from")
        }
        let common = parseCommon(reader)
        reader.reportUnknownKeys()
        guard let sid else { return nil }
        return SMSSendSettings(credentials: .twilio(accountSID: sid, authToken: token, from: from, messagingServiceSID: service),
                               apiURL: common.apiURL, maxSegments: common.maxSegments, pointerText: common.pointerText,
                               statusCallback: common.statusCallback, timeout: common.timeout)
    }

    static func parseVonage(_ reader: ConfigReader) -> SMSSendSettings? {
        guard reader.isPresent, reader.expectObject() else { return nil }
        let key = reader.string("api_key", required: true, hint: "the account's API key from the Vonage dashboard")
        let secret = reader.secret("api_secret", required: true)
        let from = reader.string("from", required: true, hint: "a number in E.164 form or an alphanumeric sender id")
        let common = parseCommon(reader)
        reader.reportUnknownKeys()
        guard let key, let secret, let from else { return nil }
        return SMSSendSettings(credentials: .vonage(apiKey: key, apiSecret: secret, from: from), apiURL: common.apiURL,
                               maxSegments: common.maxSegments, pointerText: common.pointerText,
                               statusCallback: common.statusCallback, timeout: common.timeout)
    }

    private static func parseCommon(_ reader: ConfigReader)
        -> (apiURL: String?, maxSegments: Int, pointerText: String?, statusCallback: String?, timeout: Duration) {
        func url(_ key: String, example: String) -> String? {
            guard let text = reader.string(key) else { return nil }
            let lower = text.lowercased()
            guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), !text.contains(" "), !text.contains("?") else {
                reader.report(.invalidValue, "\(ConfigReader.quote(text)) is not an http(s) URL without query", hint: example, key: key)
                return nil
            }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        let apiURL = url("api_url", example: "https://api.twilio.com")
        let maxSegments = reader.int("max_segments", default: 3, in: 1...10)
        let pointer = reader.string("pointer_text")
        if let pointer, SMSSegments(pointer).count > maxSegments {
            reader.report(.outOfRange, "pointer_text needs \(SMSSegments(pointer).count) segments; max_segments is \(maxSegments)",
                          hint: "keep it to one segment (160 GSM-7 characters)", key: "pointer_text")
        }
        let callback = url("status_callback", example: "https://support.example.com/sms/twilio/status")
        let timeout = reader.duration("timeout", default: .seconds(30), in: .seconds(1) ... .seconds(300))
        return (apiURL, maxSegments, pointer, callback, timeout)
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { return true } else { return false } }
}

/// The SMS channel's `OutboundSender`: one attempt per call through the provider's API (the outbox
/// keeps the schedule). The text is checked against the segment limit first; the outbox id goes
/// along as the provider's client reference where it has one (Vonage `client-ref`).
public struct SMSOutboundSender: OutboundSender {
    public var api: any SMSProviderAPI
    public var client: CurlFormClient
    public var maxSegments: Int
    public var longAnswer: SMSLongAnswerPolicy

    public init(api: any SMSProviderAPI, client: CurlFormClient = CurlFormClient(), maxSegments: Int = 3,
                longAnswer: SMSLongAnswerPolicy = .refuse) {
        self.api = api
        self.client = client
        self.maxSegments = maxSegments
        self.longAnswer = longAnswer
    }

    public var outboundChannel: Channel { .sms }

    public func send(_ item: OutboundItem) -> SendOutcome {
        var text = item.message.text
        switch longAnswer.decide(text, maxSegments: maxSegments) {
        case .send: break
        case .sendPointer(let segments): text = segments.parts.joined()
        case .refuse(let count):
            return .rejected(reason: "the answer needs \(count) SMS segments and this adapter allows \(maxSegments) (max_segments); answer on another channel or set pointer_text")
        }
        let request = api.request(for: OutboundSMS(to: item.message.recipient, text: text, reference: item.outboxID))
        let response: CurlFormClient.Response
        do {
            response = try client.post(url: request.url, form: request.form, basicAuth: request.basicAuth)
        } catch {
            return .retry(after: nil, reason: error.description)
        }
        switch api.interpret(response) {
        case .accepted(let id): return .sent(providerID: id)
        case .retry(let after, let reason): return .retry(after: after, reason: reason)
        case .failed(let reason): return .rejected(reason: reason)
        }
    }
}
