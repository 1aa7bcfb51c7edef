import Foundation
import SwitchboardCore
import SwitchboardNet

/// Settings of the `imap` adapter: one instance per mailbox (several may share a server).
///
///     "support-inbox": {
///       "type": "imap",
///       "url": "imaps://imap.example.com",
///       "mailbox": "INBOX",
///       "username": "support@example.com",
///       "password": "env:SUPPORT_IMAP_PASSWORD",
///       "interval": "60s",
///       "post_action": "move-to",
///       "move_folder": "Switchboard/Done"
///     }
///
/// `imap://` requires STARTTLS unless `"starttls": false`; `imaps://` is TLS from the start.
/// Certificates are checked (`ca_file` names extra trust); `insecure_skip_verify` turns the check
/// off and is logged loudly at every start. Instead of `password`, `xoauth2_token_file` names a
/// file holding an OAuth 2 access token, read at every connection (so a refresher can replace it).
public struct IMAPAdapterSettings: AdapterSettings, Hashable {
    public enum Security: String, Sendable, Hashable {
        /// imaps://: TLS from the first byte.
        case implicitTLS = "tls"
        /// imap:// with STARTTLS required before login.
        case startTLS = "starttls"
        /// imap:// without TLS (`"starttls": false`): the credential crosses the network in clear.
        case plaintext
    }

    public enum PostAction: Sendable, Hashable, CustomStringConvertible {
        /// The mail stays as it was (fetched with BODY.PEEK[], the mailbox opened read-only).
        case leave
        case flagSeen
        case moveTo(String)

        public var description: String {
            switch self {
            case .leave: "leave"
            case .flagSeen: "flag-seen"
            case .moveTo(let folder): "move-to \(folder)"
            }
        }
    }

    public enum Authentication: Sendable, Hashable {
        case password(SecretReference, mechanism: String?)
        /// An OAuth 2 bearer token read from this file at every connection.
        case xoauth2(tokenFile: String)

        /// What the login sends, as warnings name it (never the secret itself).
        public var credentialName: String {
            switch self {
            case .password: "the password"
            case .xoauth2: "the OAuth access token (XOAUTH2)"
            }
        }
    }

    /// `scheme://host:port/` as libcurl connects to it (no credentials, no mailbox).
    public var serverURL: String
    public var host: String
    public var security: Security
    public var username: String
    public var authentication: Authentication
    public var mailbox: String
    public var tls: CurlTLSOptions
    /// Between polls when the server has no IDLE (or `idle` is false).
    public var interval: Duration
    public var idle: Bool
    /// How long one IDLE lasts before it is renewed with a fresh look at the mailbox.
    public var idleTimeout: Duration
    public var postAction: PostAction
    /// Mails per fetch and commit.
    public var batchSize: Int
    /// Bytes per fetch (a larger single mail is fetched alone).
    public var batchBytes: Int
    /// How long the server may stay silent while a command runs (also connect and login).
    public var timeout: Duration
    public var backoffMin: Duration
    public var backoffMax: Duration
    /// Fetching pauses while the store has more than this many messages waiting for a commit.
    public var maxPending: Int
    public var limits: MailParseLimits
    /// Where replies from this mailbox leave (`smtp` section); nil: this adapter receives only.
    public var smtp: SMTPSenderSettings?

    public init(serverURL: String, host: String, security: Security, username: String, authentication: Authentication,
                mailbox: String = "INBOX", tls: CurlTLSOptions = .verified, interval: Duration = .seconds(60),
                idle: Bool = true, idleTimeout: Duration = .seconds(600), postAction: PostAction = .leave,
                batchSize: Int = 100, batchBytes: Int = 16 << 20, timeout: Duration = .seconds(60),
                backoffMin: Duration = .seconds(1), backoffMax: Duration = .seconds(300), maxPending: Int = 5_000,
                limits: MailParseLimits = .default, smtp: SMTPSenderSettings? = nil) {
        self.serverURL = serverURL
        self.host = host
        self.security = security
        self.username = username
        self.authentication = authentication
        self.mailbox = mailbox
        self.tls = tls
        self.interval = interval
        self.idle = idle
        self.idleTimeout = idleTimeout
        self.postAction = postAction
        self.batchSize = batchSize
        self.batchBytes = batchBytes
        self.timeout = timeout
        self.backoffMin = backoffMin
        self.backoffMax = backoffMax
        self.maxPending = maxPending
        self.limits = limits
        self.smtp = smtp
    }

    /// The checkpoint row's key: one per mailbox.
    public var checkpointKey: String { "imap:\(mailbox)" }

    public static let adapterType = AdapterType.typed(
        name: "imap",
        channel: .email,
        summary: "one IMAP mailbox, fetched over libcurl's TLS (IDLE when offered, else polled)",
        parse: IMAPAdapterSettings.parse,
        make: { settings, context in IMAPAdapter(settings: settings, context: context) }
    )

    /// What an admin must hear at every start about this adapter's transport security, naming
    /// the credential actually used (a password, or an OAuth token for XOAUTH2).
    public var securityWarnings: [String] {
        let credential = authentication.credentialName
        var warnings: [String] = []
        if tls.insecureSkipVerify {
            warnings.append("TLS certificate checks are OFF for this adapter (insecure_skip_verify): anyone on the network path can read the mail and \(credential)")
        }
        if security == .plaintext {
            warnings.append("STARTTLS is off (starttls: false): \(credential) and the mail cross the network unencrypted")
        }
        return warnings
    }

    public static func parse(_ reader: ConfigReader) -> IMAPAdapterSettings? {
        let urlText = reader.string("url", required: true, hint: "imaps://imap.example.com or imap://imap.example.com/INBOX")
        let mailboxKey = reader.string("mailbox")
        let username = reader.string("username", required: true)
        let password = reader.secret("password")
        let tokenFile = reader.string("xoauth2_token_file")
        let auth = reader.oneOf("auth", ["auto", "plain", "login", "xoauth2"], default: "auto")
        let starttls = reader.bool("starttls")
        let caFile = reader.string("ca_file")
        let insecure = reader.bool("insecure_skip_verify", default: false)
        let interval = reader.duration("interval", default: .seconds(60), in: .seconds(1) ... .seconds(86_400))
        let idle = reader.bool("idle", default: true)
        let idleTimeout = reader.duration("idle_timeout", default: .seconds(600), in: .seconds(1) ... .seconds(1740))
        let postActionName = reader.oneOf("post_action", ["leave", "flag-seen", "move-to"], default: "leave")
        let moveFolder = reader.string("move_folder")
        let batchSize = reader.int("batch_size", default: 100, in: 1...1000)
        let batchBytes = reader.byteSize("batch_bytes", default: 16 << 20, in: (64 << 10)...(1 << 30))
        let timeout = reader.duration("timeout", default: .seconds(60), in: .seconds(1) ... .seconds(3600))
        let backoffMin = reader.duration("backoff_min", default: .seconds(1), in: .milliseconds(100) ... .seconds(3600))
        let backoffMax = reader.duration("backoff_max", default: .seconds(300), in: .seconds(1) ... .seconds(86_400))
        let maxPending = reader.int("max_pending", default: 5_000, in: 1...1_000_000)
        let limits = parseLimits(reader.object("mime"))
        var smtp: SMTPSenderSettings?
        let smtpReader = reader.object("smtp")
        if smtpReader.isPresent, smtpReader.expectObject() {
            smtp = SMTPSenderSettings.parse(smtpReader)
            smtpReader.reportUnknownKeys()
        }

        if backoffMax < backoffMin {
            reader.report(.conflict, "backoff_max is shorter than backoff_min", hint: "make backoff_max at least backoff_min", key: "backoff_max")
        }
        var postAction = PostAction.leave
        switch postActionName {
        case "flag-seen": postAction = .flagSeen
        case "move-to":
            if let moveFolder, !moveFolder.isEmpty {
                postAction = .moveTo(moveFolder)
            } else {
                reader.report(.missing, "post_action \"move-to\" needs move_folder", hint: "e.g. \"move_folder\": \"Archive\"", key: "move_folder")
            }
        default: break
        }
        if moveFolder != nil, postActionName != "move-to" {
            reader.report(.conflict, "move_folder is only used with post_action \"move-to\"", key: "move_folder")
        }
        for (key, value) in [("mailbox", mailboxKey), ("move_folder", moveFolder), ("username", username)] {
            if let value, value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                reader.report(.invalidValue, "must not contain line breaks or NUL", key: key)
            }
        }
        if let caFile, !caFile.hasPrefix("/") {
            reader.report(.invalidValue, "must be an absolute path", hint: "e.g. /etc/ssl/certs/my-ca.pem", key: "ca_file")
        }

        var authentication: Authentication?
        switch (password, tokenFile) {
        case (let password?, nil):
            if auth == "xoauth2" {
                reader.report(.conflict, "auth \"xoauth2\" needs xoauth2_token_file instead of password", key: "auth")
            }
            authentication = .password(password, mechanism: auth == "auto" || auth == "xoauth2" ? nil : auth.uppercased())
        case (nil, let file?):
            if !file.hasPrefix("/") {
                reader.report(.invalidValue, "must be an absolute path", hint: "e.g. /var/lib/switchboard/imap-token", key: "xoauth2_token_file")
            }
            if auth != "auto" && auth != "xoauth2" {
                reader.report(.conflict, "auth \(ConfigReader.quote(auth)) needs a password, not a token file", key: "auth")
            }
            authentication = .xoauth2(tokenFile: file)
        case (.some, .some):
            reader.report(.conflict, "set either password or xoauth2_token_file, not both", key: "xoauth2_token_file")
        case (nil, nil):
            // A password that is present but refused (an inline secret) is already reported.
            if !reader.contains("password") && !reader.contains("xoauth2_token_file") {
                reader.report(.missing, "missing password (or xoauth2_token_file)", hint: "a reference: env:NAME, file:PATH or credential:NAME", key: "password")
            }
        }

        guard let urlText else { return nil }
        guard let parsed = parseURL(urlText, reader: reader) else { return nil }
        var mailbox = mailboxKey ?? "INBOX"
        if let fromURL = parsed.mailbox {
            if let mailboxKey, mailboxKey != fromURL {
                reader.report(.conflict, "the url names mailbox \(ConfigReader.quote(fromURL)) and mailbox says \(ConfigReader.quote(mailboxKey))",
                              hint: "name the mailbox in one place", key: "mailbox")
            }
            mailbox = fromURL
        }
        var security: Security = parsed.implicitTLS ? .implicitTLS : .startTLS
        if let starttls {
            if parsed.implicitTLS {
                reader.report(.conflict, "starttls applies to imap:// URLs; imaps:// is always TLS", key: "starttls")
            } else if !starttls {
                security = .plaintext
            }
        }
        guard let username, let authentication else { return nil }
        return IMAPAdapterSettings(
            serverURL: parsed.serverURL, host: parsed.host, security: security, username: username,
            authentication: authentication, mailbox: mailbox, tls: CurlTLSOptions(caFile: caFile, insecureSkipVerify: insecure),
            interval: interval, idle: idle, idleTimeout: idleTimeout, postAction: postAction, batchSize: batchSize,
            batchBytes: batchBytes, timeout: timeout, backoffMin: backoffMin, backoffMax: max(backoffMax, backoffMin),
            maxPending: maxPending, limits: limits, smtp: smtp)
    }

    struct ParsedURL {
        var serverURL: String
        var host: String
        var implicitTLS: Bool
        var mailbox: String?
    }

    static func parseURL(_ text: String, reader: ConfigReader) -> ParsedURL? {
        let hint = "imaps://imap.example.com, imap://imap.example.com:143, or with a mailbox: imaps://imap.example.com/Support"
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            reader.report(.invalidValue, "\(ConfigReader.quote(text)) is not an IMAP URL", hint: hint, key: "url")
            return nil
        }
        guard scheme == "imap" || scheme == "imaps" else {
            reader.report(.invalidValue, "the scheme must be imap or imaps, found \(ConfigReader.quote(scheme))", hint: hint, key: "url")
            return nil
        }
        if components.user != nil || components.password != nil {
            reader.report(.invalidValue, "the url must not carry credentials", hint: "use username and password", key: "url")
            return nil
        }
        if components.query != nil || components.fragment != nil {
            reader.report(.invalidValue, "the url must not have a query or fragment", hint: hint, key: "url")
            return nil
        }
        var mailbox: String?
        let path = components.percentEncodedPath
        if !path.isEmpty && path != "/" {
            var decoded = components.path
            if decoded.hasPrefix("/") { decoded.removeFirst() }
            if decoded.contains(";") {
                reader.report(.invalidValue, "the url path must be just a mailbox name (no ;UID= or other parts)", hint: hint, key: "url")
                return nil
            }
            mailbox = decoded
        }
        let port = components.port.map { ":\($0)" } ?? ""
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return ParsedURL(serverURL: "\(scheme)://\(hostPart)\(port)/", host: host, implicitTLS: scheme == "imaps", mailbox: mailbox)
    }

    static func parseLimits(_ reader: ConfigReader) -> MailParseLimits {
        guard reader.expectObject() else { return .default }
        let d = MailParseLimits.default
        let limits = MailParseLimits(
            maxMessageBytes: reader.byteSize("max_message_bytes", default: d.maxMessageBytes, in: (64 << 10)...(1 << 30)),
            maxHeaderBytes: reader.byteSize("max_header_bytes", default: d.maxHeaderBytes, in: (1 << 10)...(64 << 20)),
            maxParts: reader.int("max_parts", default: d.maxParts, in: 1...100_000),
            maxDepth: reader.int("max_depth", default: d.maxDepth, in: 1...1_000),
            maxAttachmentBytes: reader.byteSize("max_attachment_bytes", default: d.maxAttachmentBytes, in: 0...(1 << 30)),
            maxTextBytes: reader.byteSize("max_text_bytes", default: d.maxTextBytes, in: (1 << 10)...(1 << 30)))
        reader.reportUnknownKeys()
        return limits
    }
}

/// Why an IMAP adapter could not start: names the adapter and the setting, never a secret.
public struct IMAPAdapterStartError: Error, Sendable, CustomStringConvertible {
    public var adapterID: String
    public var reason: String
    public var description: String { "adapter \(adapterID): \(reason)" }
}
