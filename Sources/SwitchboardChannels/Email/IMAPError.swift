import SwitchboardNet

/// Why talking to the IMAP server failed, sorted by what the adapter does about it.
public enum IMAPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server refused the credentials. Retried slowly (the password may be fixed meanwhile),
    /// and shown plainly in status.
    case loginDenied(String)
    /// TLS or the certificate check failed. Not fixed by retrying soon, but retried.
    case tls(String)
    /// No connection, a dropped connection, a timeout: retried with backoff.
    case connection(String)
    /// The server's bytes are not IMAP the parser will read: the connection is dropped, retried.
    case protocolViolation(IMAPProtocolError)
    /// The server answered NO or BAD to a command.
    case commandFailed(command: String, status: IMAPStatus, text: String)
    /// The server said BYE.
    case serverClosed(String)
    /// The server lacks something the settings need (MOVE or UIDPLUS for `move-to`).
    case unsupported(String)
    /// A setting that only shows when connecting: a token file that cannot be read.
    case configuration(String)
    /// The adapter is stopping.
    case interrupted

    public var description: String {
        switch self {
        case .loginDenied(let detail): "login denied: \(detail)"
        case .tls(let detail): "TLS failed: \(detail)"
        case .connection(let detail): "connection failed: \(detail)"
        case .protocolViolation(let error): "protocol error: \(error)"
        case .commandFailed(let command, let status, let text): "\(command) answered \(status.rawValue): \(text)"
        case .serverClosed(let text): "the server closed the connection: \(text)"
        case .unsupported(let detail): "the server does not support \(detail)"
        case .configuration(let detail): detail
        case .interrupted: "interrupted"
        }
    }

    /// A short stable word for logs and metrics labels.
    public var kind: String {
        switch self {
        case .loginDenied: "login_denied"
        case .tls: "tls"
        case .connection: "connection"
        case .protocolViolation: "protocol"
        case .commandFailed: "command_failed"
        case .serverClosed: "server_closed"
        case .unsupported: "unsupported"
        case .configuration: "configuration"
        case .interrupted: "interrupted"
        }
    }

    /// What an admin can do about it, for the status line.
    public var hint: String? {
        switch self {
        case .loginDenied: "check username and password (or the token file)"
        case .tls: "check ca_file and the server's certificate; STARTTLS must be offered unless starttls is false"
        case .connection: "is the server up and reachable?"
        case .unsupported: "change post_action, or use a server that supports it"
        default: nil
        }
    }

    init(_ error: CurlError) {
        if error.isLoginDenied {
            self = .loginDenied(error.detail.isEmpty ? error.message : error.detail)
        } else if error.isTLSProblem {
            self = .tls(error.detail.isEmpty ? error.message : "\(error.message): \(error.detail)")
        } else {
            self = .connection(error.detail.isEmpty ? error.message : "\(error.message): \(error.detail)")
        }
    }

    init(_ error: CurlConnection.IOError) {
        switch error {
        case .curl(let curl): self.init(curl)
        case .closed: self = .connection("the server closed the connection")
        case .timedOut(let limit): self = .connection("no answer within \(limit)")
        case .interrupted: self = .interrupted
        }
    }
}
