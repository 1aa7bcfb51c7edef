/// The kinds of socket the daemon listens on. Adapters that receive pushes say which kind of
/// listener they need (the local adapter needs a Unix socket, an SMS webhook a TCP port), and the
/// configuration checks that the listener they name has that kind.
public enum ListenerKind: String, Sendable, Hashable, CaseIterable {
    /// A Unix domain socket: local clients, access controlled by file permissions.
    case unix
    /// A TCP port: webhooks from providers, usually behind a reverse proxy.
    case tcp
}
