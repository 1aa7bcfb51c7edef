import SwitchboardChannels
import SwitchboardCore

/// What a reload has to do: the difference between the running configuration and a new one that
/// loaded cleanly.
///
/// An adapter counts as changed when its entry's canonical JSON differs or when a listener it
/// receives on changed; only added, removed and changed adapters are (re)started or stopped.
/// Values read only at start (`RestartOnlySettings`: the store, `outbox.workers`,
/// `agent_api.max_event_streams`) cannot be applied to a running daemon: the ones that differ
/// from those in force are listed in `needsRestart` so the daemon can say that a restart is required.
public struct ConfigurationChanges: Sendable, Hashable {
    public var addedAdapters: [String] = []
    public var removedAdapters: [String] = []
    public var changedAdapters: [String] = []
    public var unchangedAdapters: [String] = []
    public var addedListeners: [String] = []
    public var removedListeners: [String] = []
    public var changedListeners: [String] = []
    /// Top-level sections whose values differ: "store", "limits", "ingest", "log", "classifier",
    /// "outbox", "shutdown_timeout", "agent_api".
    public var changedSections: [String] = []
    /// Keys whose new value only a restart applies (compared with the values in force).
    public var needsRestart: [RestartOnlyChange] = []

    public var isEmpty: Bool {
        addedAdapters.isEmpty && removedAdapters.isEmpty && changedAdapters.isEmpty && addedListeners.isEmpty
            && removedListeners.isEmpty && changedListeners.isEmpty && changedSections.isEmpty
    }

    /// `inForce`: what the running daemon started with (default: `old`, for a daemon that has not
    /// been reloaded since it started).
    public init(from old: Configuration, to new: Configuration, inForce: RestartOnlySettings? = nil) {
        for name in new.listeners.keys.sorted() {
            if let previous = old.listeners[name] {
                if previous != new.listeners[name] { changedListeners.append(name) }
            } else {
                addedListeners.append(name)
            }
        }
        removedListeners = old.listeners.keys.filter { new.listeners[$0] == nil }.sorted()

        for adapter in new.adapters {
            guard let previous = old.adapter(id: adapter.id) else {
                addedAdapters.append(adapter.id)
                continue
            }
            let listenerChanged = adapter.settings.listenerReferences.contains { reference in
                changedListeners.contains(reference.name)
            }
            if !adapter.isConfiguredLike(previous) || listenerChanged {
                changedAdapters.append(adapter.id)
            } else {
                unchangedAdapters.append(adapter.id)
            }
        }
        removedAdapters = old.adapters.map(\.id).filter { new.adapter(id: $0) == nil }

        if old.store != new.store { changedSections.append("store") }
        if old.limits != new.limits { changedSections.append("limits") }
        if old.ingest != new.ingest { changedSections.append("ingest") }
        if old.log != new.log { changedSections.append("log") }
        if old.classifier != new.classifier { changedSections.append("classifier") }
        if old.outbox != new.outbox { changedSections.append("outbox") }
        if old.shutdownTimeout != new.shutdownTimeout { changedSections.append("shutdown_timeout") }
        if old.agentAPI != new.agentAPI { changedSections.append("agent_api") }
        needsRestart = (inForce ?? RestartOnlySettings(old)).changes(to: RestartOnlySettings(new))
    }
}
