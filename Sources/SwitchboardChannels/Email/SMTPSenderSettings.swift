import Foundation
import SwitchboardCore
import SwitchboardNet

/// Where and how replies leave by mail. For the outbox (not built yet), which will read this
/// from its section of adapters.json:
///
///     "smtp": {
///       "url": "smtp://smtp.example.com:587/support.example.com",
///       "username": "support@example.com",
///       "password": "env:SMTP_PASSWORD",
///       "from": "Example Support <support@example.com>"
///     }
///
/// The URL's path is the EHLO name libcurl sends (`smtp://host:587` with no path would say
/// `EHLO` with whatever libcurl guesses); without one, the domain of `from` is used.
/// `smtp://` requires STARTTLS unless `"starttls": false`; `smtps://` is TLS from the start
/// (port 465). `ca_file`, `insecure_skip_verify` and `xoauth2_token_file` work as for IMAP.
public struct SMTPSenderSettings: Sendable, Hashable {
    public enum Security: String, Sendable, Hashable {
        case implicitTLS = "tls", startTLS = "starttls", plaintext
    }

    public enum Authentication: Sendable, Hashable {
        case none
        case password(username: String, SecretReference, mechanism: String?)
        case xoauth2(username: String, tokenFile: String)
    }

    /// `smtp://host:port/ehlo.domain` exactly as libcurl gets it.
    public var url: String
    public var security: Security
    public var authentication: Authentication
    public var tls: CurlTLSOptions
    public var from: MailAddress
    public var connectTimeout: Duration
    /// The whole transaction, DATA included.
    public var timeout: Duration

    public init(url: String, security: Security, authentication: Authentication = .none, tls: CurlTLSOptions = .verified,
                from: MailAddress, connectTimeout: Duration = .seconds(15), timeout: Duration = .seconds(120)) {
        self.url = url
        self.security = security
        self.authentication = authentication
        self.tls = tls
        self.from = from
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// The EHLO name (the URL's path).
    public var ehloDomain: String {
        guard let components = URLComponents(string: url) else { return "" }
        return String(components.path.drop { $0 == "/" })
    }

    public static func parse(_ reader: ConfigReader) -> SMTPSenderSettings? {
        let urlText = reader.string("url", required: true, hint: "smtp://smtp.example.com:587/support.example.com")
        let username = reader.string("username")
        let password = reader.secret("password")
        let tokenFile = reader.string("xoauth2_token_file")
        let auth = reader.oneOf("auth", ["auto", "plain", "login", "xoauth2"], default: "auto")
        let starttls = reader.bool("starttls")
        let caFile = reader.string("ca_file")
        let insecure = reader.bool("insecure_skip_verify", default: false)
        let fromText = reader.string("from", required: true, hint: "\"Example Support <support@example.com>\"")
        let timeout = reader.duration("timeout", default: .seconds(120), in: .seconds(1) ... .seconds(3600))

        var from: MailAddress?
        if let fromText {
            if let parsed = AddressParser.parse(fromText).first, parsed.address.contains("@") {
                from = parsed
            } else {
                reader.report(.invalidValue, "\(ConfigReader.quote(fromText)) is not a mail address", hint: "\"Example Support <support@example.com>\"", key: "from")
            }
        }
        var authentication = Authentication.none
        switch (password, tokenFile) {
        case (let password?, nil):
            guard let username else {
                reader.report(.missing, "password needs username", key: "username")
                return nil
            }
            authentication = .password(username: username, password, mechanism: auth == "auto" ? nil : auth.uppercased())
        case (nil, let file?):
            guard let username else {
                reader.report(.missing, "xoauth2_token_file needs username", key: "username")
                return nil
            }
            authentication = .xoauth2(username: username, tokenFile: file)
        case (.some, .some):
            reader.report(.conflict, "set either password or xoauth2_token_file, not both", key: "xoauth2_token_file")
        case (nil, nil):
            if username != nil && !reader.contains("password") && !reader.contains("xoauth2_token_file") {
                reader.report(.missing, "username needs password or xoauth2_token_file", key: "password")
            }
        }
        guard let urlText, let from else { return nil }
        guard let components = URLComponents(string: urlText), let scheme = components.scheme?.lowercased(),
              scheme == "smtp" || scheme == "smtps", let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil, components.query == nil else {
            reader.report(.invalidValue, "\(ConfigReader.quote(urlText)) is not an smtp:// or smtps:// URL without credentials",
                          hint: "smtp://smtp.example.com:587/support.example.com", key: "url")
            return nil
        }
        var ehlo = String(components.path.drop { $0 == "/" })
        if ehlo.isEmpty { ehlo = String(from.address.split(separator: "@").last ?? "localhost") }
        guard ehlo.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "[" || $0 == "]" || $0 == ":" }) else {
            reader.report(.invalidValue, "the url path must be the EHLO domain name", hint: "smtp://smtp.example.com:587/support.example.com", key: "url")
            return nil
        }
        let port = components.port.map { ":\($0)" } ?? ""
        var security: Security = scheme == "smtps" ? .implicitTLS : .startTLS
        if let starttls {
            if scheme == "smtps" {
                reader.report(.conflict, "starttls applies to smtp:// URLs; smtps:// is always TLS", key: "starttls")
            } else if !starttls {
                security = .plaintext
            }
        }
        return SMTPSenderSettings(url: "\(scheme)://\(host)\(port)/\(ehlo)", security: security, authentication: authentication,
                                  tls: CurlTLSOptions(caFile: caFile, insecureSkipVerify: insecure), from: from, timeout: timeout)
    }
}
