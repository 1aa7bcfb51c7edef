/// Why a mail was sent by a machine rather than a person. Such mail is stored like any other but
/// never auto-answered, which is how mail loops between two auto-responders are avoided
/// (RFC 3834).
public enum MailAutomation: Sendable, Hashable, CustomStringConvertible {
    /// `Auto-Submitted:` with any value but `no` (`auto-replied`, `auto-generated`).
    case autoSubmitted(String)
    /// `Precedence: bulk | list | junk | auto_reply`.
    case precedence(String)
    /// A mailing list or bulk sender: the header that says so (`List-Id`, `List-Unsubscribe`).
    case mailingList(header: String)
    /// `X-Auto-Response-Suppress:` (Exchange marks its own automatic mail with it).
    case autoResponseSuppress(String)
    /// `X-Autoreply`, `X-Autorespond` and similar vendor headers.
    case vendorAutoReply(header: String)
    /// `Return-Path: <>`: a bounce or another notification that must not be answered.
    case nullReturnPath
    /// `multipart/report` (delivery status and disposition notifications).
    case deliveryReport(String)

    public var description: String {
        switch self {
        case .autoSubmitted(let value): return "auto-submitted: \(value)"
        case .precedence(let value): return "precedence: \(value)"
        case .mailingList(let header): return "list: \(header.lowercased())"
        case .autoResponseSuppress(let value): return "x-auto-response-suppress: \(value)"
        case .vendorAutoReply(let header): return "auto-reply header: \(header.lowercased())"
        case .nullReturnPath: return "return-path: <>"
        case .deliveryReport(let type): return "report: \(type)"
        }
    }

    /// Looks at the top-level headers (and the top content type) for the signs of automated mail.
    /// `value` looks up a top-level header by its lower-cased name.
    static func detect(value lookup: (String) -> String?, contentType: String, reportType: String?) -> MailAutomation? {
        func value(_ name: String) -> String? { lookup(name.lowercased()) }
        func token(_ raw: String) -> String {
            var text = Substring(raw)
            if let semicolon = text.firstIndex(of: ";") { text = text[..<semicolon] }
            if let paren = text.firstIndex(of: "(") { text = text[..<paren] }
            return text.trimmedWhitespace.lowercased()
        }
        if let raw = value("Auto-Submitted") {
            let kind = token(raw)
            if !kind.isEmpty && kind != "no" { return .autoSubmitted(kind) }
        }
        if let raw = value("Precedence") {
            let kind = token(raw)
            if ["bulk", "list", "junk", "auto_reply", "auto-reply"].contains(kind) { return .precedence(kind) }
        }
        for name in ["List-Id", "List-Unsubscribe", "List-Post"] where value(name) != nil {
            return .mailingList(header: name)
        }
        if let raw = value("X-Auto-Response-Suppress") {
            let kind = raw.trimmedWhitespace
            if !kind.isEmpty && kind.lowercased() != "none" { return .autoResponseSuppress(kind) }
        }
        for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-AutoReply-From", "X-Mail-Autoreply"]
        where value(name) != nil {
            return .vendorAutoReply(header: name)
        }
        if let raw = value("Return-Path") {
            let stripped = raw.filter { !$0.isWhitespace }
            if stripped == "<>" { return .nullReturnPath }
        }
        if contentType == "multipart/report" { return .deliveryReport(reportType ?? "unknown") }
        return nil
    }
}
