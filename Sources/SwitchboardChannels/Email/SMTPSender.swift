import CCurl
import Foundation
import SwitchboardCore
import SwitchboardNet

/// What became of one send, in the outbox's three words (DESIGN §4: accepted / retry later /
/// rejected).
public enum SMTPSendResult: Sendable, Hashable, CustomStringConvertible {
    /// The server took the mail (its final answer, e.g. `250 2.0.0 Ok: queued as 4F2A`).
    case sent(answer: String)
    /// Try again later: a 4xx answer, no connection, TLS or login trouble (the admin can fix
    /// those; the mail itself is fine). The reason carries the server's answer when there is one.
    case retryLater(reason: String)
    /// The server refused the mail for good (5xx): dead-letter it with the server's answer.
    case rejected(code: Int, answer: String)

    public var description: String {
        switch self {
        case .sent(let answer): "sent: \(answer)"
        case .retryLater(let reason): "retry later: \(reason)"
        case .rejected(let code, let answer): "rejected (\(code)): \(answer)"
        }
    }
}

/// Sends one `SMTPMail` through libcurl's SMTP layer (`smtp://` with STARTTLS required by
/// default, `smtps://`, AUTH), with the EHLO domain as the URL's path. Blocking: call it from a
/// dedicated thread or serial queue (the outbox's worker), never the Swift concurrency pool.
///
/// This is the function the outbox will call for each stored row; `deliver` adds bounded
/// retries with backoff for callers without an outbox. The mail's bytes are fixed by its
/// values (Message-ID, Date, boundary), so a retry after a crash sends the same mail again.
public struct SMTPSender: Sendable {
    public var settings: SMTPSenderSettings
    public var environment: [String: String]

    public init(settings: SMTPSenderSettings, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.settings = settings
        self.environment = environment
    }

    /// One attempt.
    public func send(_ mail: SMTPMail) -> SMTPSendResult {
        let bytes: [UInt8]
        do {
            bytes = try mail.rendered()
        } catch {
            return .rejected(code: 0, answer: "the mail cannot be rendered: \(error)")
        }
        let recipients = mail.envelopeRecipients
        let transcript = Transcript()
        do {
            let easy = try CurlEasy()
            try easy.set(CURLOPT_URL, settings.url)
            try easy.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
            try easy.setTimeouts(connect: settings.connectTimeout, total: settings.timeout)
            if settings.security == .startTLS { try easy.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
            try easy.apply(settings.tls)
            switch settings.authentication {
            case .none:
                break
            case .password(let username, let reference, let mechanism):
                let secret: SecretValue
                do {
                    secret = try reference.resolve(environment: environment)
                } catch {
                    return .retryLater(reason: "password: \(error.description)")
                }
                try easy.set(CURLOPT_USERNAME, username)
                try easy.set(CURLOPT_PASSWORD, secret.string)
                if let mechanism { try easy.set(CURLOPT_LOGIN_OPTIONS, "AUTH=\(mechanism)") }
            case .xoauth2(let username, let file):
                guard let token = SecretReference.readFile(file).map({ String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }),
                      !token.isEmpty else {
                    return .retryLater(reason: "xoauth2_token_file \(file) cannot be read or is empty")
                }
                try easy.set(CURLOPT_USERNAME, username)
                try easy.set(CURLOPT_XOAUTH2_BEARER, token)
                try easy.set(CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2")
            }
            try easy.set(CURLOPT_MAIL_FROM, "<\(settings.from.address)>")
            try easy.set(CURLOPT_MAIL_RCPT, list: recipients.map { "<\($0)>" })
            var offset = 0
            easy.uploadHandler = { buffer in
                let n = min(buffer.count, bytes.count - offset)
                guard n > 0 else { return 0 }
                bytes.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + n)]))
                }
                offset += n
                return n
            }
            try easy.enableUpload(size: bytes.count)
            easy.traceHandler = { kind, data in
                guard kind == .headerIn else { return }
                transcript.record(String(decoding: data, as: UTF8.self))
            }
            try easy.enableTrace()
            do {
                try easy.perform()
            } catch {
                let code = easy.responseCode
                return Self.classify(error, code: code, answer: transcript.answer(code: code))
            }
            return .sent(answer: transcript.answer(code: easy.responseCode) ?? "\(easy.responseCode)")
        } catch {
            return .retryLater(reason: "\(error)")
        }
    }

    /// Up to `attempts` tries, waiting `backoff` between temporary failures. For callers without
    /// an outbox (tools, tests); the outbox keeps its own schedule in the store.
    public func deliver(_ mail: SMTPMail, attempts: Int = 5,
                        backoff: EmailAdapterBackoff = EmailAdapterBackoff(minimum: .seconds(1), maximum: .seconds(60)),
                        sleep: (Duration) -> Void = { Thread.sleep(forTimeInterval: Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) })
        -> (result: SMTPSendResult, attempts: Int) {
        var attempt = 0
        while true {
            attempt += 1
            let result = send(mail)
            guard case .retryLater = result, attempt < attempts else { return (result, attempt) }
            sleep(backoff.delay(attempt: attempt, random: Double.random(in: 0..<1)))
        }
    }

    /// 5xx from the server: rejected with its answer. 4xx, login, TLS, connection: retry later.
    static func classify(_ error: CurlError, code: Int, answer: String?) -> SMTPSendResult {
        let serverAnswer = answer ?? ""
        if error.isLoginDenied {
            return .retryLater(reason: "login denied: \(serverAnswer.isEmpty ? error.description : serverAnswer)")
        }
        if (500...599).contains(code) {
            return .rejected(code: code, answer: serverAnswer.isEmpty ? error.description : serverAnswer)
        }
        if (400...499).contains(code) {
            return .retryLater(reason: serverAnswer.isEmpty ? "\(code)" : serverAnswer)
        }
        return .retryLater(reason: error.description)
    }
}

/// The server's lines as libcurl saw them; the last complete reply is the answer to report.
private final class Transcript: @unchecked Sendable {
    // Used only on the sending thread, inside `perform()`.
    private var lines: [String] = []

    func record(_ text: String) {
        for line in text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }) where !line.isEmpty {
            lines.append(String(line))
            if lines.count > 50 { lines.removeFirst(lines.count - 50) }
        }
    }

    /// The last reply with `code` (libcurl sends QUIT after a failure, so the last line is
    /// often "221 Bye"), multi-line replies (`250-…` then `250 …`) joined.
    func answer(code: Int) -> String? {
        let prefix = String(code)
        guard let end = lines.lastIndex(where: { $0.hasPrefix(prefix + " ") || $0 == prefix })
                ?? lines.lastIndex(where: { !$0.hasPrefix("221") }) else { return nil }
        var reply = [lines[end]]
        let replyCode = lines[end].prefix(3)
        var k = end - 1
        while k >= 0, lines[k].hasPrefix(replyCode + "-") {
            reply.insert(lines[k], at: 0)
            k -= 1
        }
        return reply.joined(separator: " ")
    }
}
