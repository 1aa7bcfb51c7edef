import Foundation
import SwitchboardCore

/// What a provider answered to one send: accepted (with its message id), try again later
/// (429, 5xx, throttling; with the provider's Retry-After when it gave one), or never (a
/// request the provider will always refuse: bad number, auth, blocked): dead-letter it.
public enum SMSSendOutcome: Sendable, Equatable {
    case accepted(providerID: String)
    case retry(after: Duration?, reason: String)
    case failed(reason: String)
}

/// One SMS to send: the provider request is built from this.
public struct OutboundSMS: Sendable, Hashable {
    /// E.164 recipient.
    public var to: String
    public var text: String
    /// The outbox row id, passed where the provider keeps a client reference.
    public var reference: String?

    public init(to: String, text: String, reference: String? = nil) {
        self.to = to
        self.text = text
        self.reference = reference
    }
}

/// A provider's send API as pure functions: the request to make, and what an answer means.
public protocol SMSProviderAPI: Sendable {
    var name: String { get }
    func request(for sms: OutboundSMS) -> (url: String, form: FormParameters, basicAuth: (user: String, password: String)?)
    func interpret(_ response: CurlFormClient.Response) -> SMSSendOutcome
}

/// Retry-After as seconds or an HTTP-date.
func retryAfter(_ headers: [String: String], now: Date = Date()) -> Duration? {
    guard let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
    if let seconds = Int(value) { return .seconds(max(0, seconds)) }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    guard let date = formatter.date(from: value) else { return nil }
    return .seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up))))
}

/// Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with
/// `To`, `From` (or `MessagingServiceSid`), `Body`, optional `StatusCallback`; HTTP Basic with
/// the Account SID and Auth Token. 201 → accepted (`sid`); 429 and 5xx → retry; other 4xx → failed.
public struct TwilioMessagesAPI: SMSProviderAPI {
    public var name: String { "twilio" }
    public var accountSID: String
    public var authToken: String
    public var from: String?
    public var messagingServiceSID: String?
    public var statusCallback: String?
    /// `https://api.twilio.com`; tests point it at a local stand-in.
    public var baseURL: String

    public init(accountSID: String, authToken: String, from: String? = nil, messagingServiceSID: String? = nil,
                statusCallback: String? = nil, baseURL: String = "https://api.twilio.com") {
        self.accountSID = accountSID
        self.authToken = authToken
        self.from = from
        self.messagingServiceSID = messagingServiceSID
        self.statusCallback = statusCallback
        self.baseURL = baseURL
    }

    public func request(for sms: OutboundSMS) -> (url: String, form: FormParameters, basicAuth: (user: String, password: String)?) {
        var form = FormParameters([("To", sms.to), ("Body", sms.text)])
        if let messagingServiceSID { form.append(name: "MessagingServiceSid", value: messagingServiceSID) }
        else if let from { form.append(name: "From", value: from) }
        if let statusCallback { form.append(name: "StatusCallback", value: statusCallback) }
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return (base + "/2010-04-01/Accounts/\(accountSID)/Messages.json", form, (accountSID, authToken))
    }

    public func interpret(_ response: CurlFormClient.Response) -> SMSSendOutcome {
        let json = try? JSONParser().parse(response.body)
        switch response.status {
        case 200...299:
            guard let sid = json?["sid"]?.stringValue else { return .retry(after: nil, reason: "2xx without a message sid") }
            return .accepted(providerID: sid)
        case 429, 500...599:
            return .retry(after: retryAfter(response.headers), reason: "HTTP \(response.status)")
        default:
            let code = json?["code"]?.intValue.map { " (Twilio error \($0))" } ?? ""
            let message = json?["message"]?.stringValue ?? "HTTP \(response.status)"
            return .failed(reason: "HTTP \(response.status)\(code): \(message)")
        }
    }
}

/// Vonage SMS API: `POST /sms/json` with `api_key`, `api_secret`, `from`, `to` (digits, no `+`),
/// `text`, `type=unicode` when the text is not GSM-7. Vonage answers 200 with a status per part:
/// `0` accepted, `1` throttled (retry), anything else a failure.
public struct VonageSMSAPI: SMSProviderAPI {
    public var name: String { "vonage" }
    public var apiKey: String
    public var apiSecret: String
    public var from: String
    public var statusCallback: String?
    /// `https://rest.nexmo.com`; tests point it at a local stand-in.
    public var baseURL: String

    public init(apiKey: String, apiSecret: String, from: String, statusCallback: String? = nil, baseURL: String = "https://rest.nexmo.com") {
        self.apiKey = apiKey
        self.apiSecret = apiSecret
        self.from = from
        self.statusCallback = statusCallback
        self.baseURL = baseURL
    }

    public func request(for sms: OutboundSMS) -> (url: String, form: FormParameters, basicAuth: (user: String, password: String)?) {
        var form = FormParameters([("api_key", apiKey), ("api_secret", apiSecret), ("from", from),
                                   ("to", sms.to.hasPrefix("+") ? String(sms.to.dropFirst()) : sms.to), ("text", sms.text)])
        if SMSSegments(sms.text).encoding == .ucs2 { form.append(name: "type", value: "unicode") }
        if let reference = sms.reference { form.append(name: "client-ref", value: String(reference.prefix(100))) }
        if let statusCallback { form.append(name: "callback", value: statusCallback) }
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return (base + "/sms/json", form, nil)
    }

    public func interpret(_ response: CurlFormClient.Response) -> SMSSendOutcome {
        switch response.status {
        case 429, 500...599: return .retry(after: retryAfter(response.headers), reason: "HTTP \(response.status)")
        case 200...299: break
        default: return .failed(reason: "HTTP \(response.status)")
        }
        guard let messages = (try? JSONParser().parse(response.body))?["messages"]?.arrayValue, !messages.isEmpty else {
            return .retry(after: nil, reason: "no messages in the answer")
        }
        var ids: [String] = []
        for message in messages {
            let status = message["status"]?.stringValue ?? message["status"]?.intValue.map(String.init) ?? "?"
            switch status {
            case "0": ids.append(message["message-id"]?.stringValue ?? "")
            case "1": return .retry(after: .seconds(1), reason: "throttled")
            default: return .failed(reason: "Vonage status \(status): \(message["error-text"]?.stringValue ?? "")")
            }
        }
        return .accepted(providerID: ids.joined(separator: ","))
    }
}
