import Foundation
import SwitchboardCore

/// One entry of `listeners`: a socket the daemon serves HTTP on. Adapters name the listener they
/// receive on.
///
///     "listeners": {
///       "local": { "type": "unix", "path": "var/run/ingest.sock", "mode": "0660" },
///       "web":   { "type": "tcp", "address": "127.0.0.1", "port": 8080, "event_loops": 2,
///                  "trusted_proxies": ["127.0.0.1"], "public_url": "https://support.example.com" }
///     }
public enum ListenerSettings: Sendable, Hashable {
    case unix(UnixListenerSettings)
    case tcp(TCPListenerSettings)

    public var kind: ListenerKind {
        switch self {
        case .unix: .unix
        case .tcp: .tcp
        }
    }

    /// The event loops (threads) serving this listener as configured; nil: the server's default
    /// (one per CPU but one, at most four).
    public var eventLoops: Int? {
        switch self {
        case .unix(let unix): unix.eventLoops
        case .tcp(let tcp): tcp.eventLoops
        }
    }

    /// The most `event_loops` a listener may have (each is a thread): a bound that catches a typo
    /// such as 400 for 4.
    static let maxEventLoops = 64

    /// `event_loops`, read the same way for every kind of listener.
    static func readEventLoops(_ reader: ConfigReader) -> Int? {
        reader.int("event_loops", in: 1...maxEventLoops)
    }

    /// `[a-z0-9][a-z0-9_-]{0,63}`, like adapter ids.
    static let namePattern = "[a-z0-9][a-z0-9_-]{0,63}"

    static func read(_ reader: ConfigReader, context: ConfigurationContext) -> ListenerSettings? {
        let kind: ListenerKind? = reader.choice("type", required: true)
        switch kind {
        case .unix?:
            return UnixListenerSettings.read(reader, context: context).map(ListenerSettings.unix)
        case .tcp?:
            return TCPListenerSettings.read(reader).map(ListenerSettings.tcp)
        case nil:
            return nil
        }
    }
}

/// A Unix domain socket. Its permissions are the access control: whoever can write to the
/// socket file can post messages.
public struct UnixListenerSettings: Sendable, Hashable {
    /// Absolute path of the socket file.
    public var path: String
    /// Permissions set on the socket file after binding.
    public var mode: UInt32
    /// Event loops (threads) serving the socket; nil: the server's default.
    public var eventLoops: Int?

    public init(path: String, mode: UInt32 = 0o660, eventLoops: Int? = nil) {
        self.path = path
        self.mode = mode
        self.eventLoops = eventLoops
    }

    /// `$RUNTIME_DIRECTORY/ingest.sock` under systemd, else `var/run/ingest.sock` in the base directory.
    public static func defaultPath(context: ConfigurationContext) -> String {
        if let runtime = context.runtimeDirectory { return context.resolve("ingest.sock", against: runtime) }
        return context.resolve("var/run/ingest.sock")
    }

    /// The kernel's limit for a socket path (`sun_path` holds 108 bytes with the terminating NUL).
    public static let maxPathBytes = 107

    static func read(_ reader: ConfigReader, context: ConfigurationContext) -> UnixListenerSettings? {
        let before = reader.issueCount
        let written = reader.string("path")
        let mode = reader.fileMode("mode", default: 0o660)
        let loops = ListenerSettings.readEventLoops(reader)
        reader.reportUnknownKeys()
        let path = written.map { context.resolve($0) } ?? defaultPath(context: context)
        if path.utf8.count > maxPathBytes {
            reader.report(.invalidValue, "the socket path \(path) is \(path.utf8.count) bytes; a Unix socket path can have at most \(maxPathBytes)",
                          hint: "choose a shorter path, or an absolute one", key: "path")
        }
        guard reader.issueCount == before else { return nil }
        return UnixListenerSettings(path: path, mode: mode, eventLoops: loops)
    }
}

/// A TCP listener, for provider webhooks and the agent API.
public struct TCPListenerSettings: Sendable, Hashable {
    /// The IP address to bind (`127.0.0.1` behind a reverse proxy, `0.0.0.0` or `::` for all).
    public var address: String
    /// The port; 0 asks the kernel for a free one (tests).
    public var port: Int
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` headers are believed: addresses or CIDR ranges.
    public var trustedProxies: [String]
    /// The URL the outside world uses to reach this listener (`https://support.example.com`),
    /// needed to check webhook signatures computed over the public URL.
    public var publicURL: String?
    /// Open connections one client address may hold (trusted proxies are exempt).
    public var maxConnectionsPerClient: Int
    /// New connections per second one client address may open; nil = no rate limit.
    public var connectionsPerSecondPerClient: Int?
    /// Event loops (threads) serving the port; nil: the server's default.
    public var eventLoops: Int?

    public init(address: String = "127.0.0.1", port: Int, trustedProxies: [String] = [], publicURL: String? = nil,
                maxConnectionsPerClient: Int = 64, connectionsPerSecondPerClient: Int? = nil, eventLoops: Int? = nil) {
        self.address = address
        self.port = port
        self.trustedProxies = trustedProxies
        self.publicURL = publicURL
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.connectionsPerSecondPerClient = connectionsPerSecondPerClient
        self.eventLoops = eventLoops
    }

    static func read(_ reader: ConfigReader) -> TCPListenerSettings? {
        let before = reader.issueCount
        let address = reader.string("address", default: "127.0.0.1")
        if !IPAddressText.isAddress(address) {
            reader.report(.invalidValue, "\(ConfigReader.quote(address)) is not an IP address",
                          hint: "an address such as 127.0.0.1, 0.0.0.0, ::1 or ::", key: "address")
        }
        let port = reader.int("port", required: true, in: 0...65_535, hint: "a port number such as 8080")
        let proxies = reader.stringList("trusted_proxies", default: [])
        for (position, proxy) in proxies.enumerated() where !IPAddressText.isAddressOrRange(proxy) {
            reader.report(ConfigIssue(path: reader.path.appending(key: "trusted_proxies").appending(index: position),
                                      code: .invalidValue, message: "\(ConfigReader.quote(proxy)) is not an IP address or range",
                                      hint: "an address like 10.0.0.5 or a range like 10.0.0.0/8 or fd00::/8"))
        }
        let publicURL = reader.string("public_url")
        if let publicURL {
            let url = URL(string: publicURL)
            if url?.scheme != "https" && url?.scheme != "http" || url?.host == nil || url?.query != nil || url?.fragment != nil {
                reader.report(.invalidValue, "\(ConfigReader.quote(publicURL)) is not an http(s) URL",
                              hint: "the URL providers call, such as https://support.example.com, without query", key: "public_url")
            }
        }
        let perClient = reader.int("max_connections_per_client", default: 64, in: 1...100_000)
        let rate = reader.int("connections_per_second_per_client", in: 1...1_000_000)
        let loops = ListenerSettings.readEventLoops(reader)
        reader.reportUnknownKeys()
        guard reader.issueCount == before, let port else { return nil }
        return TCPListenerSettings(address: address, port: port, trustedProxies: proxies, publicURL: publicURL,
                                   maxConnectionsPerClient: perClient, connectionsPerSecondPerClient: rate, eventLoops: loops)
    }
}

/// Checks for IP address text, via inet_pton.
enum IPAddressText {
    static func isAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    static func isAddressOrRange(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        let address = String(parts[0])
        guard isAddress(address) else { return false }
        guard parts.count == 2 else { return true }
        guard let bits = Int(parts[1]) else { return false }
        return (0...(address.contains(":") ? 128 : 32)).contains(bits)
    }
}
