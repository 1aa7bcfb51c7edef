import SwitchboardCore

/// `agent_api`: where agents' consoles reach the agent API with their bearer tokens. The local
/// socket always serves the supervisor's form of the API; this names the TCP listener (normally
/// behind the TLS reverse proxy) that serves `/v1/me/…`.
///
///     "agent_api": { "listener": "console", "max_event_streams": 1000 }
public struct AgentAPISettings: Sendable, Hashable {
    /// The TCP listener serving the agent API; nil = local socket only.
    public var listener: String?
    /// Event streams (SSE) open at once, all agents together.
    public var maxEventStreams: Int

    public init(listener: String? = nil, maxEventStreams: Int = 1000) {
        self.listener = listener
        self.maxEventStreams = maxEventStreams
    }

    static func read(_ reader: ConfigReader, listeners: [(name: String, settings: ListenerSettings)]) -> AgentAPISettings {
        let defaults = AgentAPISettings()
        let listener = reader.string("listener")
        if let listener {
            if let found = listeners.first(where: { $0.name == listener }) {
                if found.settings.kind != .tcp {
                    reader.report(.unknownReference, "listener \(ConfigReader.quote(listener)) is not a tcp listener",
                                  hint: "the agent API with bearer tokens is served on a tcp listener; the local socket serves it without tokens",
                                  key: "listener")
                }
            } else {
                let tcp = listeners.filter { $0.settings.kind == .tcp }.map(\.name)
                reader.report(.unknownReference, "no listener named \(ConfigReader.quote(listener))",
                              hint: tcp.isEmpty ? "define a tcp listener under listeners first" : "tcp listeners: " + tcp.joined(separator: ", "),
                              key: "listener")
            }
        }
        let settings = AgentAPISettings(listener: listener,
                                        maxEventStreams: reader.int("max_event_streams", default: defaults.maxEventStreams, in: 1...100_000))
        reader.reportUnknownKeys()
        return settings
    }
}
