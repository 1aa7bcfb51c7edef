import Foundation
import SwitchboardCore

/// Handles one request. Called on the server's event-loop thread: do quick work there, or hand
/// the request to another thread and call `responder.send` from it later. The next request on
/// the same connection waits until this one's response is sent. No timeout runs while a request
/// is with the handler: answering (or dropping the responder, which sends a 500) is its job.
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPResponder) -> Void

extension HTTPServer {
    /// Where the server listens.
    public enum Listener: Sendable, Hashable, CustomStringConvertible {
        /// A Unix-domain socket. The parent directory is created if missing, a stale socket file
        /// is replaced (never another kind of file, never a socket someone still listens on),
        /// and the file gets `mode`: its permissions are the access control.
        case unix(path: String, mode: UInt16 = 0o660)
        /// TCP on a numeric IPv4/IPv6 address or a host name; port 0 picks a free port
        /// (see `boundAddresses`). "*" listens on every address.
        case tcp(host: String, port: Int)

        public var description: String {
            switch self {
            case .unix(let path, _): "unix:\(path)"
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            }
        }
    }

    /// An address the server actually listens on (with the real port when 0 was asked).
    public enum BoundAddress: Sendable, Hashable, CustomStringConvertible {
        case unix(path: String)
        case tcp(host: String, port: Int)

        public var port: Int? {
            if case .tcp(_, let port) = self { return port }
            return nil
        }

        public var description: String {
            switch self {
            case .unix(let path): "unix:\(path)"
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            }
        }
    }

    public struct Configuration: Sendable {
        public var listeners: [Listener]
        public var limits: HTTPServerLimits
        /// Open connections beyond this are accepted and closed at once (and counted).
        public var maxConnections: Int
        /// A keep-alive connection with no request in progress is closed after this.
        public var idleTimeout: Duration
        /// A request whose head and body are not complete this long after its first byte is
        /// answered 408 and the connection closed (slow-loris defence).
        public var requestReadTimeout: Duration
        /// A connection whose pending output makes no progress this long is closed.
        public var writeTimeout: Duration
        /// After this many requests the response says `Connection: close`. Nil: no limit.
        public var maxRequestsPerConnection: Int?
        /// Output buffered for a client that does not read; above it the server stops reading
        /// from that connection, and a stream that would exceed it is cut off.
        public var maxPendingOutputBytes: Int
        public var policy: any HTTPConnectionPolicy
        public var logger: Logger
        /// Event loops (threads) serving the listeners, each with its own connections: a new
        /// connection goes to whichever loop is free to accept it. Handlers run on the loop that
        /// read the request, so they may run on several threads at once.
        public var eventLoops: Int

        /// One loop per CPU but one, at most four: the store's writer thread is on the path of
        /// every acknowledgement and needs a CPU of its own. On this project's 2-CPU machine a
        /// second loop made classified ingest 10 % slower (the loops took CPU from the writer).
        public static var defaultEventLoops: Int {
            min(4, max(1, ProcessInfo.processInfo.activeProcessorCount - 1))
        }

        public init(listeners: [Listener],
                    limits: HTTPServerLimits = HTTPServerLimits(),
                    maxConnections: Int = 1024,
                    idleTimeout: Duration = .seconds(60),
                    requestReadTimeout: Duration = .seconds(10),
                    writeTimeout: Duration = .seconds(30),
                    maxRequestsPerConnection: Int? = nil,
                    maxPendingOutputBytes: Int = 1024 * 1024,
                    policy: any HTTPConnectionPolicy = AcceptAllConnections(),
                    logger: Logger = .silent,
                    eventLoops: Int = Configuration.defaultEventLoops) {
            self.listeners = listeners
            self.limits = limits
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.requestReadTimeout = requestReadTimeout
            self.writeTimeout = writeTimeout
            self.maxRequestsPerConnection = maxRequestsPerConnection
            self.maxPendingOutputBytes = maxPendingOutputBytes
            self.policy = policy
            self.logger = logger
            self.eventLoops = max(1, eventLoops)
        }
    }

    /// How a shutdown ended.
    public struct ShutdownResult: Sendable, Equatable {
        /// Every connection closed on its own before the timeout.
        public var graceful: Bool
        /// Connections still open at the timeout, closed without finishing.
        public var forciblyClosed: Int
    }
}

/// Why the server could not start, naming the address: "cannot bind 127.0.0.1:8080: address in use".
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being done: "bind", "listen on", "create the directory for", "start".
    public var operation: String
    /// The listener, as configured: "127.0.0.1:8080", "unix:/run/switchboard/api.sock".
    public var address: String
    public var reason: String
    /// The errno behind it, when there is one.
    public var errno: Int32?

    public init(operation: String, address: String, reason: String, errno: Int32? = nil) {
        self.operation = operation
        self.address = address
        self.reason = reason
        self.errno = errno
    }

    public var description: String { "cannot \(operation) \(address): \(reason)" }
}

extension Duration {
    var nanoseconds: UInt64 {
        let (s, atto) = components
        if s < 0 { return 0 }
        return UInt64(s) &* 1_000_000_000 &+ UInt64(atto / 1_000_000_000)
    }
}
