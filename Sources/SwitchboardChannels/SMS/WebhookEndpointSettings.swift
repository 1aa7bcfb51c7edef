import Foundation
import SwitchboardCore

/// The settings every inbound SMS webhook type shares: where it listens, how the public URL is
/// known, the phone-number region, and the limits of its endpoint.
///
///     "listener": "web", "path": "/sms/twilio", "public_url": "https://support.example.com/sms/twilio",
///     "default_region": "GB", "max_body": "64KiB",
///     "rate_limit": { "per_second": 50, "burst": 100 },
///     "backlog_budget": 10000, "retry_after": "5s"
public struct WebhookEndpointSettings: Sendable, Hashable {
    /// The TCP listener (under `listeners`) the webhook is served on.
    public var listener: String
    /// The route; nil means `/sms/<adapter id>`.
    public var path: String?
    /// The exact URL configured at the provider, without query, when neither the listener's
    /// `public_url` nor a trusted proxy's headers give it (signatures cover the URL).
    public var publicURL: String?
    /// ISO region for national numbers (`"GB"`); nil: only international numbers normalise.
    public var defaultRegion: String?
    public var maxBody: Int
    /// Requests per second per client address; nil: not limited per request.
    public var rateLimit: RateLimit?
    /// Messages waiting for the store above which the webhook answers 503 with Retry-After.
    public var backlogBudget: Int
    public var retryAfter: Duration

    public struct RateLimit: Sendable, Hashable {
        public var perSecond: Double
        public var burst: Double
        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    public static let defaultMaxBody = 64 << 10

    public init(listener: String, path: String? = nil, publicURL: String? = nil, defaultRegion: String? = nil,
                maxBody: Int = WebhookEndpointSettings.defaultMaxBody, rateLimit: RateLimit? = nil,
                backlogBudget: Int = 10_000, retryAfter: Duration = .seconds(5)) {
        self.listener = listener
        self.path = path
        self.publicURL = publicURL
        self.defaultRegion = defaultRegion
        self.maxBody = maxBody
        self.rateLimit = rateLimit
        self.backlogBudget = backlogBudget
        self.retryAfter = retryAfter
    }

    public var listenerReference: ListenerReference {
        ListenerReference(key: "listener", name: listener, kind: .tcp)
    }

    /// The route for an adapter id.
    public func route(adapterID: String) -> String { path ?? "/sms/\(adapterID)" }

    /// Reads the shared keys; bad values are reported and replaced by defaults.
    public static func parse(_ reader: ConfigReader) -> WebhookEndpointSettings {
        let listener = reader.string("listener", required: true, hint: "the name of a tcp listener, e.g. \"web\"") ?? "web"
        let path = reader.string("path")
        if let path, !path.hasPrefix("/") || path.contains("?") || path.contains("{") || path.contains(" ") {
            reader.report(.invalidValue, "\(ConfigReader.quote(path)) is not a route path",
                          hint: "a path such as /sms/twilio, starting with / and without query", key: "path")
        }
        let publicURL = reader.string("public_url")
        if let publicURL {
            let url = URL(string: publicURL)
            if (url?.scheme != "https" && url?.scheme != "http") || url?.host == nil || url?.query != nil || url?.fragment != nil {
                reader.report(.invalidValue, "\(ConfigReader.quote(publicURL)) is not an http(s) URL without query",
                              hint: "the webhook URL exactly as configured at the provider, e.g. https://support.example.com/sms/twilio",
                              key: "public_url")
            }
        }
        let region = reader.string("default_region")
        if let region, PhoneNumber.region(region) == nil {
            reader.report(.notAllowed, "\(ConfigReader.quote(region)) is not a region in the phone number table",
                          hint: "an ISO 3166 code among " + PhoneNumber.regions.keys.sorted().joined(separator: ", "),
                          key: "default_region")
        }
        let maxBody = reader.byteSize("max_body", default: defaultMaxBody, in: 1024...(16 << 20))
        var rateLimit: RateLimit?
        let limitReader = reader.object("rate_limit")
        if limitReader.isPresent, limitReader.expectObject() {
            let perSecond = limitReader.int("per_second", required: true, in: 1...1_000_000)
            let burst = limitReader.int("burst", in: 1...10_000_000)
            limitReader.reportUnknownKeys()
            if let perSecond { rateLimit = RateLimit(perSecond: Double(perSecond), burst: Double(burst ?? perSecond * 2)) }
        }
        let backlog = reader.int("backlog_budget", default: 10_000, in: 0...10_000_000)
        let retryAfter = reader.duration("retry_after", default: .seconds(5), in: .seconds(1) ... .seconds(3600))
        return WebhookEndpointSettings(listener: listener, path: path, publicURL: publicURL,
                                       defaultRegion: region.map { $0.uppercased() }, maxBody: maxBody,
                                       rateLimit: rateLimit, backlogBudget: backlog, retryAfter: retryAfter)
    }
}

extension SecretReference {
    /// Resolves for an adapter's start, with the setting's name in the error.
    func resolveForStart(_ key: String, adapterID: String, environment: [String: String]) throws -> [UInt8] {
        do {
            return try resolve(environment: environment).bytes
        } catch {
            throw SMSAdapterStartError(adapterID: adapterID, reason: "\(key): \(error.description)")
        }
    }
}

/// Why an SMS adapter could not start: names the adapter and the setting, never a secret.
public struct SMSAdapterStartError: Error, Sendable, CustomStringConvertible {
    public var adapterID: String
    public var reason: String
    public var description: String { "adapter \(adapterID): \(reason)" }
}
