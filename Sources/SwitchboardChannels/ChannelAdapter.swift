import Foundation
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// What an adapter instance receives when it is built: the store it commits to, a logger
/// labelled with its id, the metrics registry, the environment its secrets resolve against,
/// and a clock. Everything an adapter touches comes through here, so tests pass their own.
public struct AdapterContext: Sendable {
    public var id: String
    public var store: Store
    public var logger: Logger
    public var metrics: MetricsRegistry
    public var environment: [String: String]
    /// The public base URL of each TCP listener by name, when configured (`public_url`), for
    /// checking webhook signatures computed over the URL the provider called.
    public var listenerPublicURLs: [String: String]
    /// Proxy addresses whose X-Forwarded-* / Forwarded headers are believed, per listener.
    public var trustedProxies: [String: [String]]
    public var now: @Sendable () -> Date

    public init(id: String, store: Store, logger: Logger, metrics: MetricsRegistry, environment: [String: String],
                listenerPublicURLs: [String: String] = [:], trustedProxies: [String: [String]] = [:],
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.id = id
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.environment = environment
        self.listenerPublicURLs = listenerPublicURLs
        self.trustedProxies = trustedProxies
        self.now = now
    }
}

/// A running adapter. Listening adapters (webhooks) mount routes on their listener; polling
/// adapters (IMAP, social) run their own loop between `start()` and `stop()`.
/// `stop()` must return only when the adapter has finished what it acknowledged.
public protocol ChannelAdapter: AnyObject, Sendable {
    var id: String { get }
    /// Begins work (polling loops start here). Throws with an admin-readable reason
    /// (a secret that does not resolve, a server that refuses the login).
    func start() throws
    func stop()
    /// One line for `switchboard status`: "polling every 30s, last fetch 10:02:11", "failing: …".
    var statusDetail: String { get }
    /// Routes served on `listener` (only listeners the settings reference are asked).
    func register(on router: inout HTTPRouter, listener: String)
    /// Prometheus families for this adapter.
    func metrics() -> [MetricFamily]
    /// What delivers this adapter's outbound messages (replies, automatic answers), when it is
    /// configured to send: the IMAP adapter with an `smtp` section, Twilio and Vonage with `send`.
    var outboundSender: (any OutboundSender)? { get }
}

extension ChannelAdapter {
    public func register(on router: inout HTTPRouter, listener: String) {}
    public func metrics() -> [MetricFamily] { [] }
    public var statusDetail: String { "running" }
    public var outboundSender: (any OutboundSender)? { nil }
}
