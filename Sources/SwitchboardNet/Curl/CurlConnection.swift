import CCurl
import Glibc

/// A connection that libcurl opens, secures and logs in, and then hands over to its owner
/// (CURLOPT_CONNECT_ONLY): the owner speaks the protocol itself with `send` and `receive`.
///
/// For `imap://` libcurl runs the whole connection phase: greeting, CAPABILITY, STARTTLS when
/// `requireTLS` (CURLUSESSL_ALL: no TLS, no login), the certificate check, then AUTHENTICATE
/// (PLAIN, LOGIN, XOAUTH2 with a bearer token) or LOGIN. `imaps://` is TLS from the first byte.
/// Verified against Dovecot 2.3 with Debian's libcurl 7.88.1. So no password ever crosses a
/// connection the settings did not ask to be secure, and the TLS code is libcurl's.
///
/// `receive` waits with poll(2) on the socket and, optionally, a wake-up descriptor (an eventfd
/// the owner signals to stop): a blocked read returns at once when its owner shuts down.
/// Blocking; one thread at a time. The handle (and with it the socket) closes in `deinit`.
public final class CurlConnection {
    public struct Credentials: Sendable, Hashable {
        public var username: String
        public var password: String?
        /// An OAuth 2 access token: sent as XOAUTH2/OAUTHBEARER instead of the password.
        public var bearerToken: String?
        /// Forces a SASL mechanism (`PLAIN`, `LOGIN`, `XOAUTH2`); nil lets libcurl choose the best
        /// the server offers.
        public var mechanism: String?

        public init(username: String, password: String? = nil, bearerToken: String? = nil, mechanism: String? = nil) {
            self.username = username
            self.password = password
            self.bearerToken = bearerToken
            self.mechanism = mechanism
        }
    }

    public struct Options: Sendable {
        /// `imap://host:port/`, `imaps://host/` (any scheme libcurl's connection phase knows).
        public var url: String
        public var credentials: Credentials?
        public var tls: CurlTLSOptions
        /// STARTTLS on a plain scheme, required: libcurl fails rather than log in without TLS.
        public var requireTLS: Bool
        public var connectTimeout: Duration
        /// The whole connection phase, login included.
        public var loginTimeout: Duration
        /// `CURLOPT_PROTOCOLS_STR`, so that a URL cannot switch protocols behind the settings' back.
        public var protocols: String

        public init(url: String, credentials: Credentials?, tls: CurlTLSOptions = .verified, requireTLS: Bool = true,
                    connectTimeout: Duration = .seconds(15), loginTimeout: Duration = .seconds(60), protocols: String) {
            self.url = url
            self.credentials = credentials
            self.tls = tls
            self.requireTLS = requireTLS
            self.connectTimeout = connectTimeout
            self.loginTimeout = loginTimeout
            self.protocols = protocols
        }
    }

    /// Why a send or receive stopped.
    public enum IOError: Error, Sendable, Hashable, CustomStringConvertible {
        case curl(CurlError)
        /// The peer closed the connection.
        case closed
        case timedOut(Duration)
        /// The wake-up descriptor became readable: the owner is stopping.
        case interrupted

        public var description: String {
            switch self {
            case .curl(let error): "\(error)"
            case .closed: "the server closed the connection"
            case .timedOut(let limit): "no answer from the server within \(limit)"
            case .interrupted: "interrupted"
            }
        }
    }

    private let easy: CurlEasy
    private let socket: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    public private(set) var isOpen = true

    /// Connects, secures and logs in. Throws `CurlError` (`isLoginDenied`, `isTLSProblem`,
    /// `isConnectionProblem` tell the cases apart).
    public init(_ options: Options) throws(CurlError) {
        let easy = try CurlEasy()
        try easy.set(CURLOPT_URL, options.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, options.protocols)
        try easy.set(CURLOPT_CONNECT_ONLY, 1)
        try easy.setTimeouts(connect: options.connectTimeout, total: options.loginTimeout)
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        try easy.set(CURLOPT_TCP_KEEPIDLE, 60)
        try easy.set(CURLOPT_TCP_KEEPINTVL, 30)
        if options.requireTLS { try easy.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
        try easy.apply(options.tls)
        if let credentials = options.credentials {
            try easy.set(CURLOPT_USERNAME, credentials.username)
            if let password = credentials.password { try easy.set(CURLOPT_PASSWORD, password) }
            if let token = credentials.bearerToken { try easy.set(CURLOPT_XOAUTH2_BEARER, token) }
            if let mechanism = credentials.mechanism { try easy.set(CURLOPT_LOGIN_OPTIONS, "AUTH=\(mechanism)") }
        }
        try easy.perform()
        guard let socket = easy.activeSocket else {
            throw CurlError(code: -1, message: "no socket after connecting")
        }
        self.easy = easy
        self.socket = socket
    }

    /// Sends all of `bytes`, waiting for the socket to take them.
    public func send(_ bytes: [UInt8], timeout: Duration, wake: Int32? = nil) throws(IOError) {
        guard isOpen else { throw .closed }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var offset = 0
        while offset < bytes.count {
            let (rc, sent) = bytes.withUnsafeBytes { raw in
                easy.sendSome(UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
            if rc == CURLE_OK {
                offset += sent
            } else if rc == CURLE_AGAIN {
                try wait(for: Int16(POLLOUT), until: deadline, limit: timeout, wake: wake)
            } else {
                isOpen = false
                throw .curl(CurlError(rc, detail: easy.lastErrorDetail))
            }
        }
    }

    /// Waits up to `timeout` for bytes and hands what arrived (at least one byte) to `body`.
    public func receive(timeout: Duration, wake: Int32? = nil,
                        _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard isOpen else { throw IOError.closed }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            // Try first: TLS may already hold decrypted bytes that poll(2) cannot see.
            let (rc, count) = buffer.withUnsafeMutableBytes { easy.receiveSome($0) }
            if rc == CURLE_OK {
                guard count > 0 else {
                    isOpen = false
                    throw IOError.closed
                }
                try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                return
            }
            guard rc == CURLE_AGAIN else {
                isOpen = false
                throw IOError.curl(CurlError(rc, detail: easy.lastErrorDetail))
            }
            try wait(for: Int16(POLLIN), until: deadline, limit: timeout, wake: wake)
        }
    }

    /// Whether the socket has something to read now (without reading it).
    public func hasPendingInput() -> Bool {
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, 0) > 0
    }

    /// Marks the connection unusable; the socket closes with the handle.
    public func close() { isOpen = false }

    private func wait(for events: Int16, until deadline: ContinuousClock.Instant, limit: Duration, wake: Int32?) throws(IOError) {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw .timedOut(limit) }
            var fds = [pollfd(fd: socket, events: events, revents: 0)]
            if let wake { fds.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
            let milliseconds = Int32(min(CurlEasy.milliseconds(remaining) + 1, 3_600_000))
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                isOpen = false
                throw .curl(CurlError(code: -1, message: "poll failed", detail: String(cString: strerror(errno))))
            }
            if ready == 0 { continue }
            if fds.count > 1, fds[1].revents != 0 { throw .interrupted }
            if fds[0].revents != 0 { return }  // readable, writable, or an error that the next call reports
        }
    }
}
