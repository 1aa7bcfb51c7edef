import SwitchboardCore

/// `store`: where the SQLite database lives and how hard it syncs.
///
///     "store": { "path": "var/switchboard.db", "synchronous": "full", "continuation_window": "24h" }
public struct StoreSettings: Sendable, Hashable {
    /// `full` fsyncs every commit (group commit keeps it fast); `normal` may lose the last commits
    /// on power loss, never on a crash of the daemon.
    public enum Synchronous: String, Sendable, Hashable, CaseIterable {
        case full, normal
    }

    /// Absolute path of the database file (relative paths in the file resolve against the base directory).
    public var path: String
    public var synchronous: Synchronous
    /// A message without a thread key joins its contact's latest conversation if that saw a
    /// message within this window; otherwise it starts a new one.
    public var continuationWindow: Duration

    public static let defaultPath = "var/switchboard.db"

    public init(path: String, synchronous: Synchronous = .full, continuationWindow: Duration = .seconds(24 * 3600)) {
        self.path = path
        self.synchronous = synchronous
        self.continuationWindow = continuationWindow
    }

    static func read(_ reader: ConfigReader, context: ConfigurationContext) -> StoreSettings {
        let path = reader.string("path", default: defaultPath)
        let synchronous = reader.choice("synchronous", default: Synchronous.full)
        let window = reader.duration("continuation_window", default: .seconds(24 * 3600), in: .zero ... .seconds(365 * 86_400))
        reader.reportUnknownKeys()
        return StoreSettings(path: context.resolve(path), synchronous: synchronous, continuationWindow: window)
    }
}
