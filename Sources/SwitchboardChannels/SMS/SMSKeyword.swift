import Foundation

/// The compliance keywords of SMS (CTIA / carrier rules, and what Twilio and Vonage honour
/// themselves): a message that is only `STOP` (or a synonym) opts the number out of all further
/// SMS from us, `START` opts it back in, `HELP` asks for contact information.
///
/// A keyword counts when it is the whole message, ignoring case, surrounding space and a final
/// `.` or `!`: "Stop" and "STOP!" opt out, "please stop calling me" does not (that is an inquiry
/// for an agent). Twilio's Advanced Opt-Out sends `OptOutType` itself, which takes precedence.
public enum SMSKeyword: String, Sendable, Hashable, CaseIterable {
    case stop, start, help

    public static let stopWords: Set<String> = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]
    public static let startWords: Set<String> = ["START", "YES", "UNSTOP", "OPTIN"]
    public static let helpWords: Set<String> = ["HELP", "INFO"]

    /// The contact attribute that records the opt-out state ("true" / "false"); the router and
    /// the outbound sender never send an SMS to a contact whose value is "true".
    public static let optOutAttribute = "sms_opt_out"

    /// The keyword `text` is, if it is one.
    public static func detect(_ text: String) -> SMSKeyword? {
        guard text.utf8.count <= 48 else { return nil }
        var word = String(ASCIIText.trimmed(text))
        while let last = word.last, last == "." || last == "!" { word.removeLast() }
        guard !word.isEmpty, word.count <= 16 else { return nil }
        let upper = word.uppercased()
        if stopWords.contains(upper) { return .stop }
        if startWords.contains(upper) { return .start }
        if helpWords.contains(upper) { return .help }
        return nil
    }

    /// Twilio's `OptOutType` parameter (STOP, START, HELP) when Advanced Opt-Out is on.
    public static func fromOptOutType(_ value: String?) -> SMSKeyword? {
        guard let value else { return nil }
        return SMSKeyword(rawValue: value.lowercased())
    }

    /// The contact attributes the keyword sets: opt-out on STOP, opt-in on START, none on HELP.
    public var contactAttributes: [String: String] {
        switch self {
        case .stop: [Self.optOutAttribute: "true"]
        case .start: [Self.optOutAttribute: "false"]
        case .help: [:]
        }
    }
}
