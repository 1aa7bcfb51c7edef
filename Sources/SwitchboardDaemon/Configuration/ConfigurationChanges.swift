import SwitchboardChannels
import SwitchboardCore

/// What a reload has to do: the difference between the running configuration and a new one that
/// loaded cleanly.
///
/// An adapter counts as changed when its entry's canonical JSON differs or when a listener it
/// receives on changed; only added, removed and changed adapters are (re)started or stopped.
/// Changes to `store.path` cannot be applied to a running daemon: they are listed in
/// `needsRestart` so the daemon can log that a restart is required.
public struct ConfigurationChanges: Sendable, Hashable {
    public var addedAdapters: [String] = []
    public var removedAdapters: [String] = []
    public var changedAdapters: [String] = []
    public var unchangedAdapters: [String] = []
    public var addedListeners: [String] = []
    public var removedListeners: [String] = []
    public var changedListeners: [String] = []
    /// Top-level sections whose values differ: "store", "limits", "ingest", "log", "shutdown_timeout".
    public var changedSections: [String] = []
    /// Changes only a restart applies, as sentences for the log.
    public var needsRestart: [String] = []

    public var isEmpty: Bool {
        addedAdapters.isEmpty && removedAdapters.isEmpty && changedAdapters.isEmpty && addedListeners.isEmpty
            && removedListeners.isEmpty && changedListeners.isEmpty && changedSections.isEmpty
    }

    public init(from old: Configuration, to new: Configuration) {
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
        if old.store.path != new.store.path {
            needsRestart.append("store.path changed from \(old.store.path) to \(new.store.path); the daemon keeps using the old database until it is restarted")
        }
        if old.store.synchronous != new.store.synchronous {
            needsRestart.append("store.synchronous changed; it applies after a restart")
        }
    }
}
