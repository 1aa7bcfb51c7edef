/// What the configuration needs from the process around it, passed in rather than read from
/// globals so that tests are deterministic: where relative paths start, and where systemd put the
/// runtime directory.
///
/// The daemon builds it from its environment: relative paths (the store, Unix sockets) resolve
/// against `$STATE_DIRECTORY` when systemd sets it (`StateDirectory=switchboard`), else against
/// the current directory; the default socket goes to `$RUNTIME_DIRECTORY/ingest.sock` when
/// `RuntimeDirectory=` is set. When a variable lists several directories (`a:b`), the first counts.
public struct ConfigurationContext: Sendable, Hashable {
    /// Absolute directory that relative paths in adapters.json are resolved against.
    public var baseDirectory: String
    /// systemd's runtime directory, when set.
    public var runtimeDirectory: String?

    public init(baseDirectory: String, runtimeDirectory: String? = nil) {
        self.baseDirectory = baseDirectory
        self.runtimeDirectory = runtimeDirectory
    }

    public init(environment: [String: String], currentDirectory: String) {
        self.init(baseDirectory: ConfigurationContext.firstDirectory(environment["STATE_DIRECTORY"]) ?? currentDirectory,
                  runtimeDirectory: ConfigurationContext.firstDirectory(environment["RUNTIME_DIRECTORY"]))
    }

    private static func firstDirectory(_ value: String?) -> String? {
        guard let value, let first = value.split(separator: ":").first, !first.isEmpty else { return nil }
        return String(first)
    }

    /// `path` itself when absolute, else `path` under `directory` (default: the base directory).
    public func resolve(_ path: String, against directory: String? = nil) -> String {
        if path.hasPrefix("/") { return path }
        var base = directory ?? baseDirectory
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        if relative.isEmpty || relative == "." { return base }
        return base == "/" ? "/" + relative : base + "/" + relative
    }
}
