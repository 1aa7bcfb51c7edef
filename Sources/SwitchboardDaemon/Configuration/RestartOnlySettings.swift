import SwitchboardCore

/// The configuration values a running daemon read once, at start, and cannot change: the store it
/// opened (path, sync mode, continuation window), the outbox's sending threads, the size of the
/// agents' event-stream table. A reload compares a new file with the values *in force* (those the
/// daemon started with, not the last file it loaded), so every reload until the restart repeats
/// what is still waiting, and a file changed back to the running value says nothing.
public struct RestartOnlySettings: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// The key as written in adapters.json, dotted.
        public var key: String
        /// Its value as text, in the file's notation.
        public var value: String
    }

    /// Every restart-only key, in a fixed order.
    public let values: [Entry]

    public init(_ configuration: Configuration) {
        values = [
            Entry(key: "store.path", value: configuration.store.path),
            Entry(key: "store.synchronous", value: configuration.store.synchronous.rawValue),
            Entry(key: "store.continuation_window", value: ConfigUnits.format(configuration.store.continuationWindow)),
            Entry(key: "outbox.workers", value: String(configuration.outbox.workers)),
            Entry(key: "agent_api.max_event_streams", value: String(configuration.agentAPI.maxEventStreams)),
        ]
    }

    /// The keys whose configured value differs from the one in force.
    public func changes(to configured: RestartOnlySettings) -> [RestartOnlyChange] {
        zip(values, configured.values).compactMap { running, new in
            running.value == new.value ? nil : RestartOnlyChange(key: running.key, running: running.value, configured: new.value)
        }
    }
}

/// One key a reload could not apply: what the file now says, and what stays in force until the
/// daemon is restarted.
public struct RestartOnlyChange: Sendable, Hashable, CustomStringConvertible {
    public var key: String
    /// The value the daemon started with, still in force.
    public var running: String
    /// The value in the reloaded file, applied at the next restart.
    public var configured: String

    public var description: String {
        "\(key) changed from \(running) to \(configured), which only a restart applies; \(running) stays in force until then"
    }
}
