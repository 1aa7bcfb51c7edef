import CCurl

/// A libcurl failure: its code, libcurl's one-line description, and the detail libcurl wrote to
/// the handle's error buffer ("Login denied", "RCPT failed: 550", the certificate problem).
/// Never holds a secret: libcurl does not put credentials in either text.
public struct CurlError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `CURLcode` (`CURLE_LOGIN_DENIED` is 67); -1 when the handle could not even be made.
    public var code: Int
    public var message: String
    public var detail: String

    public init(code: Int, message: String, detail: String = "") {
        self.code = code
        self.message = message
        self.detail = detail
    }

    init(_ code: CURLcode, detail: String = "") {
        self.init(code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)), detail: detail)
    }

    public var description: String {
        let text = detail.isEmpty || detail == message ? message : "\(message): \(detail)"
        return "curl error \(code) (\(text))"
    }

    /// The server refused the credentials (wrong password, expired token). Retrying soon will not help.
    public var isLoginDenied: Bool { code == Int(CURLE_LOGIN_DENIED.rawValue) }

    /// The TLS handshake or the certificate check failed (a wrong CA file, an expired or
    /// self-signed certificate, a name that does not match, STARTTLS refused).
    public var isTLSProblem: Bool {
        [CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
         CURLE_SSL_CACERT_BADFILE, CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_ISSUER_ERROR,
         CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE]
            .contains { Int($0.rawValue) == code }
    }

    /// No usable connection: name resolution, refused or dropped connections, timeouts. Worth a
    /// retry after a pause.
    public var isConnectionProblem: Bool {
        [CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING,
         CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_PARTIAL_FILE,
         CURLE_COULDNT_RESOLVE_PROXY, CURLE_AGAIN]
            .contains { Int($0.rawValue) == code }
    }
}
