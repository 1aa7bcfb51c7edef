import Foundation
import Glibc
import Testing
import SwitchboardNet
@testable import SwitchboardChannels

/// The SMTP sender against a real SMTP server: aiosmtpd from PyPI, started from the project's
/// own scripts/smtp-sink.py on a free loopback port. Skipped (with the reason) when no Python
/// with aiosmtpd is found: `make test-deps` installs it into .venv-test.
@Suite(.serialized, .enabled(if: SMTPSink.python != nil, "no Python with aiosmtpd (run make test-deps)"))
struct SMTPSenderTests {
    static func settings(port: Int, security: SMTPSenderSettings.Security = .plaintext, scheme: String = "smtp",
                         auth: SMTPSenderSettings.Authentication = .none, caFile: String? = nil) -> SMTPSenderSettings {
        SMTPSenderSettings(url: "\(scheme)://\(caFile == nil ? "127.0.0.1" : "localhost"):\(port)/sb.test", security: security,
                           authentication: auth, tls: CurlTLSOptions(caFile: caFile),
                           from: MailAddress(name: "Example Support", address: "support@switchboard.test"),
                           connectTimeout: .seconds(5), timeout: .seconds(20))
    }

    static func mail(_ id: String = SMTPMail.newMessageID(domain: "switchboard.test"), to: String = "jose@beispiel.de") -> SMTPMail {
        let threading = SMTPMail.replyThreading(toMessageID: "orig.7@beispiel.de", references: ["root.1@beispiel.de"],
                                                subject: "Rückerstattung für Bestellung #4711")
        return SMTPMail(from: MailAddress(name: "Example Support", address: "support@switchboard.test"),
                        to: [MailAddress(name: "José Müller", address: to)], subject: threading.subject,
                        text: "Hello José,\n\nyour refund is on its way.\n", html: "<p>Hello José,</p><p>your refund is on its way.</p>",
                        messageID: id, date: Date(), inReplyTo: threading.inReplyTo, references: threading.references)
    }

    @Test func replyArrivesWithThreadingHeadersByteExact() throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let sender = SMTPSender(settings: Self.settings(port: sink.port))
        let mail = Self.mail()
        let result = sender.send(mail)
        guard case .sent(let answer) = result else { Issue.record("not sent: \(result)"); return }
        #expect(answer.hasPrefix("250"))
        let received = try sink.waitForMails(1)
        #expect(received.count == 1)
        let (eml, envelope) = received[0]
        #expect(eml == (try mail.rendered()))
        #expect(envelope["helo"] as? String == "sb.test")  // the URL's path is the EHLO name
        #expect(envelope["mail_from"] as? String == "support@switchboard.test")
        #expect(envelope["rcpt_tos"] as? [String] == ["jose@beispiel.de"])
        let parsed = try MailParser.parse(eml)
        #expect(parsed.messageID == mail.messageID)
        #expect(parsed.inReplyTo == ["orig.7@beispiel.de"])
        #expect(parsed.references == ["root.1@beispiel.de", "orig.7@beispiel.de"])
        #expect(parsed.subject == "Re: Rückerstattung für Bestellung #4711")
        #expect(parsed.html?.contains("José") == true)
    }

    @Test func startTLSAndAuthWithCAFile() throws {
        let tls = try TestCertificate()
        let sink = try SMTPSink(["--tls-cert", tls.cert, "--tls-key", tls.key, "--auth-user", "bot", "--auth-pass", "botpw", "--require-auth"])
        defer { sink.stop() }
        let good = SMTPSender(settings: Self.settings(port: sink.port, security: .startTLS,
                                                      auth: .password(username: "bot", .environment("SB_SMTP_PW"), mechanism: nil),
                                                      caFile: tls.cert), environment: ["SB_SMTP_PW": "botpw"])
        guard case .sent = good.send(Self.mail()) else { Issue.record("STARTTLS+AUTH send failed"); return }
        let received = try sink.waitForMails(1)
        #expect(received[0].1["tls"] as? Bool == true)
        #expect(received[0].1["auth_user"] as? String == "bot")

        // Without the CA file the self-signed certificate is refused: retry later, nothing sent.
        let untrusted = SMTPSender(settings: Self.settings(port: sink.port, security: .startTLS,
                                                           auth: .password(username: "bot", .environment("SB_SMTP_PW"), mechanism: nil)),
                                   environment: ["SB_SMTP_PW": "botpw"])
        var settings = untrusted.settings
        settings.url = "smtp://localhost:\(sink.port)/sb.test"
        let refused = SMTPSender(settings: settings, environment: ["SB_SMTP_PW": "botpw"]).send(Self.mail())
        guard case .retryLater(let reason) = refused else { Issue.record("expected retry later, got \(refused)"); return }
        #expect(reason.contains("certificate") || reason.contains("SSL") || reason.contains("curl error"))

        // A wrong password is a retry-later (the admin fixes it), not a dead letter.
        let wrong = SMTPSender(settings: good.settings, environment: ["SB_SMTP_PW": "nope"]).send(Self.mail())
        guard case .retryLater(let why) = wrong else { Issue.record("expected retry later, got \(wrong)"); return }
        #expect(why.contains("login denied"))
        #expect(try sink.waitForMails(1).count == 1)
    }

    @Test func temporaryRefusalsAreRetriedThenAccepted() throws {
        let sink = try SMTPSink(["--refuse-first", "2"])
        defer { sink.stop() }
        let sender = SMTPSender(settings: Self.settings(port: sink.port))
        var waits: [Duration] = []
        let mail = Self.mail()
        let (result, attempts) = sender.deliver(mail, attempts: 5, backoff: EmailAdapterBackoff(minimum: .milliseconds(100), maximum: .seconds(1))) {
            waits.append($0)
        }
        guard case .sent = result else { Issue.record("not sent after retries: \(result)"); return }
        #expect(attempts == 3)
        #expect(waits.count == 2)
        #expect(waits[1] >= .milliseconds(100))
        let received = try sink.waitForMails(1)
        #expect(received.count == 1)  // refused attempts left nothing behind
        #expect(try MailParser.parse(received[0].0).messageID == mail.messageID)
    }

    @Test func permanentRefusalIsRejectedWithTheServersAnswer() throws {
        let sink = try SMTPSink(["--reject-rcpt", "@bounce\\.test$"])
        defer { sink.stop() }
        let sender = SMTPSender(settings: Self.settings(port: sink.port))
        var slept = 0
        let (result, attempts) = sender.deliver(Self.mail(to: "nobody@bounce.test"), attempts: 5) { _ in slept += 1 }
        guard case .rejected(let code, let answer) = result else { Issue.record("expected rejected, got \(result)"); return }
        #expect(code == 550)
        #expect(answer.contains("Recipient address rejected"))
        #expect(attempts == 1 && slept == 0)
    }

    @Test func noServerIsRetryLater() throws {
        let port = SMTPSink.freePort()
        let result = SMTPSender(settings: Self.settings(port: port)).send(Self.mail())
        guard case .retryLater(let reason) = result else { Issue.record("expected retry later, got \(result)"); return }
        #expect(reason.contains("curl error"))
    }
}

/// scripts/smtp-sink.py on a free port, stopped by its pid.
final class SMTPSink {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let python: String? = {
        let candidates = [root.appendingPathComponent(".venv-test/bin/python").path, "/usr/bin/python3"]
        return candidates.first { path in
            guard FileManager.default.isExecutableFile(atPath: path) else { return false }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["-c", "import aiosmtpd"]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }()

    let port: Int
    let directory: String
    let process: Process

    init(_ arguments: [String] = []) throws {
        directory = NSTemporaryDirectory() + "sb-smtp-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        port = Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python!)
        process.arguments = [Self.root.appendingPathComponent("scripts/smtp-sink.py").path, "--port", "\(port)",
                             "--outdir", directory + "/out", "--pidfile", directory + "/pid"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice  // aborted TLS handshakes (a test's point) print tracebacks
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: directory + "/pid") {
            guard Date() < deadline, process.isRunning else { throw SinkError(message: "smtp-sink.py did not start") }
            usleep(20_000)
        }
    }

    struct SinkError: Error { var message: String }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The received mails (bytes, envelope) once at least `count` arrived.
    func waitForMails(_ count: Int, timeout: TimeInterval = 10) throws -> [([UInt8], [String: Any])] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/out")) ?? [])
                .filter { $0.hasSuffix(".json") }.sorted()
            if names.count >= count || Date() > deadline {
                return try names.map { name in
                    let base = directory + "/out/" + name.dropLast(5)
                    let eml = [UInt8](FileManager.default.contents(atPath: base + ".eml") ?? Data())
                    let json = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: base + ".json") ?? Data())
                    return (eml, json as? [String: Any] ?? [:])
                }
            }
            usleep(20_000)
        }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A self-signed certificate for localhost made with the openssl command line.
struct TestCertificate {
    let cert: String
    let key: String

    init() throws {
        let dir = NSTemporaryDirectory() + "sb-cert-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        cert = dir + "/cert.pem"
        key = dir + "/key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SMTPSink.SinkError(message: "openssl failed") }
    }
}
