import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardChannels

/// A scripted IMAP server: each command gets the answer its handler writes; answers are handed
/// out in small random pieces, as a socket would.
final class ScriptedIMAPServer: IMAPTransport {
    var handlers: [(prefix: String, answer: (_ tag: String, _ command: String) -> String)] = []
    var received: [String] = []
    private var outgoing: [UInt8] = []
    /// Bytes the server "pushes" while the client idles.
    var pushDuringIdle: String?
    var closeAfterOutgoing = false

    func on(_ prefix: String, _ answer: @escaping (_ tag: String, _ command: String) -> String) {
        handlers.append((prefix, answer))
    }

    func send(_ bytes: [UInt8], timeout: Duration) throws(IMAPError) {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            received.append(line)
            if line == "DONE" {
                outgoing += Array((handlers.first { $0.prefix == "DONE" }?.answer("", line) ?? "").utf8)
                continue
            }
            let parts = line.split(separator: " ", maxSplits: 1)
            let tag = String(parts[0])
            let command = parts.count > 1 ? String(parts[1]) : ""
            guard let handler = handlers.first(where: { command.uppercased().hasPrefix($0.prefix) }) else {
                outgoing += Array("\(tag) BAD unknown command\r\n".utf8)
                continue
            }
            outgoing += Array(handler.answer(tag, command).utf8)
        }
    }

    func receive(timeout: Duration, into parser: inout IMAPResponseParser) throws(IMAPError) -> Bool {
        if outgoing.isEmpty, let push = pushDuringIdle {
            pushDuringIdle = nil
            outgoing += Array(push.utf8)
        }
        guard !outgoing.isEmpty else {
            if closeAfterOutgoing { throw .connection("the server closed the connection") }
            return false
        }
        let n = Int.random(in: 1...min(outgoing.count, 40))
        parser.append(outgoing[..<n])
        outgoing.removeFirst(n)
        return true
    }
}

@Suite struct IMAPSessionTests {
    static func mail(_ n: Int) -> String {
        "From: c\(n)@example.com\r\nMessage-ID: <m\(n)@example.com>\r\nSubject: n \(n)\r\n\r\nbody {\(n)}\r\n"
    }

    static func server(capabilities: String = "IMAP4rev1 IDLE MOVE UIDPLUS") -> ScriptedIMAPServer {
        let server = ScriptedIMAPServer()
        server.on("CAPABILITY") { tag, _ in "* CAPABILITY \(capabilities)\r\n\(tag) OK done\r\n" }
        server.on("SELECT") { tag, _ in
            "* 3 EXISTS\r\n* OK [UIDVALIDITY 77] ok\r\n* OK [UIDNEXT 13] next\r\n\(tag) OK [READ-WRITE] done\r\n"
        }
        server.on("EXAMINE") { tag, _ in "* 3 EXISTS\r\n* OK [UIDVALIDITY 77] ok\r\n\(tag) OK [READ-ONLY] done\r\n" }
        server.on("UID FETCH 11:* (UID RFC822.SIZE)") { tag, _ in
            "* 1 FETCH (UID 10 RFC822.SIZE 5)\r\n* 2 FETCH (UID 11 RFC822.SIZE 70)\r\n* 3 FETCH (RFC822.SIZE 80 UID 12)\r\n\(tag) OK done\r\n"
        }
        server.on("UID FETCH 11:12 (UID BODY.PEEK[])") { tag, _ in
            let a = mail(11), b = mail(12)
            return "* 2 FETCH (UID 11 BODY[] {\(a.utf8.count)}\r\n\(a))\r\n* 2 FETCH (FLAGS (\\Seen))\r\n"
                + "* 3 FETCH (UID 12 BODY[] {\(b.utf8.count)}\r\n\(b))\r\n\(tag) OK done\r\n"
        }
        return server
    }

    @Test func openListFetch() throws {
        let server = Self.server()
        let session = IMAPSession(transport: server)
        try session.refreshCapabilities()
        #expect(session.has("idle") && session.has("MOVE"))
        let mailbox = try session.open("INBOX", readOnly: false)
        #expect(mailbox == IMAPSession.Mailbox(uidValidity: 77, uidNext: 13, exists: 3))
        let listing = try session.listing(after: 10)
        #expect(listing == [.init(uid: 11, size: 70), .init(uid: 12, size: 80)])
        var bodies: [UInt32: String] = [:]
        try session.fetch(IMAPSequenceSet(listing.map(\.uid)), items: "(UID BODY.PEEK[])") { attributes in
            bodies[attributes.uid!] = attributes.body.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(bodies == [11: Self.mail(11), 12: Self.mail(12)])
        #expect(server.received.map { String($0.drop { $0 != " " }.dropFirst()) } == [
            "CAPABILITY", "SELECT \"INBOX\"", "UID FETCH 11:* (UID RFC822.SIZE)", "UID FETCH 11:12 (UID BODY.PEEK[])",
        ])
        // Tags are unique.
        #expect(Set(server.received.map { $0.split(separator: " ")[0] }).count == 4)
    }

    @Test func refusalsAndByeAreErrors() throws {
        let server = Self.server()
        server.on("UID MOVE") { tag, _ in "\(tag) NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n" }
        let session = IMAPSession(transport: server)
        try session.refreshCapabilities()
        _ = try session.open("INBOX", readOnly: false)
        #expect(throws: IMAPError.commandFailed(command: "UID MOVE", status: .no, text: "[TRYCREATE] Mailbox doesn't exist: Nope")) {
            try session.move(IMAPSequenceSet([11]), to: "Nope")
        }
        server.on("NOOP") { _, _ in "* BYE shutting down\r\n" }
        server.closeAfterOutgoing = true
        #expect(throws: IMAPError.serverClosed("shutting down")) { try session.noop() }
    }

    @Test func moveFallsBackToCopyStoreExpunge() throws {
        let server = Self.server(capabilities: "IMAP4rev1 UIDPLUS")
        for command in ["UID COPY", "UID STORE", "UID EXPUNGE"] {
            server.on(command) { tag, _ in "\(tag) OK done\r\n" }
        }
        let session = IMAPSession(transport: server)
        try session.refreshCapabilities()
        _ = try session.open("INBOX", readOnly: false)
        try session.move(IMAPSequenceSet([11, 12, 14]), to: "Erledigt/Gelöscht")
        let sent = server.received.suffix(3).map { String($0.drop { $0 != " " }.dropFirst()) }
        #expect(sent == ["UID COPY 11:12,14 \"Erledigt/Gel&APY-scht\"", "UID STORE 11:12,14 +FLAGS.SILENT (\\Deleted)",
                         "UID EXPUNGE 11:12,14"])

        let bare = Self.server(capabilities: "IMAP4rev1")
        let plain = IMAPSession(transport: bare)
        try plain.refreshCapabilities()
        #expect(throws: IMAPError.self) { try plain.move(IMAPSequenceSet([1]), to: "X") }
    }

    @Test func idleEndsOnNewMail() throws {
        let server = Self.server()
        server.on("IDLE") { _, _ in "+ idling\r\n" }
        var idleTag = ""
        server.on("DONE") { _, _ in "\(idleTag) OK Idle completed.\r\n" }
        let session = IMAPSession(transport: server)
        _ = try session.open("INBOX", readOnly: true)
        server.pushDuringIdle = "* OK Still here\r\n* 4 EXISTS\r\n"
        // The tag of the IDLE command is the next one the session makes.
        idleTag = "S2"
        #expect(try session.idle(for: .seconds(5)) == true)
        #expect(server.received.suffix(2) == ["S2 IDLE", "DONE"])
        #expect(session.exists == 4)
    }

    @Test func idleTimesOutQuietly() throws {
        let server = Self.server()
        server.on("IDLE") { _, _ in "+ idling\r\n" }
        server.on("DONE") { _, _ in "S2 OK Idle completed.\r\n" }
        let session = IMAPSession(transport: server)
        _ = try session.open("INBOX", readOnly: true)
        #expect(try session.idle(for: .milliseconds(50)) == false)
    }

    @Test func emptyMailboxListingAsksNoop() throws {
        let server = ScriptedIMAPServer()
        server.on("EXAMINE") { tag, _ in "* 0 EXISTS\r\n* OK [UIDVALIDITY 5] ok\r\n\(tag) OK done\r\n" }
        server.on("NOOP") { tag, _ in "\(tag) OK nothing\r\n" }
        let session = IMAPSession(transport: server)
        _ = try session.open("INBOX", readOnly: true)
        #expect(try session.listing(after: 0).isEmpty)
        #expect(server.received.last?.hasSuffix("NOOP") == true)
    }
}

@Suite struct IMAPAdapterPartsTests {
    static func settings(_ json: String) -> (IMAPAdapterSettings?, [String]) {
        let value = try! JSONParser().parse(Array(json.utf8))
        let reader = ConfigReader(root: value)
        let settings = IMAPAdapterSettings.parse(reader)
        reader.markKnown("type")
        reader.reportUnknownKeys()
        return (settings, reader.issues.map(\.description))
    }

    @Test func defaultsAndURLForms() throws {
        let (s, issues) = Self.settings(#"{"url": "imap://mail.example.com", "username": "support@example.com", "password": "env:PW"}"#)
        #expect(issues.isEmpty)
        let settings = try #require(s)
        #expect(settings.serverURL == "imap://mail.example.com/")
        #expect(settings.security == .startTLS)
        #expect(settings.mailbox == "INBOX")
        #expect(settings.postAction == .leave)
        #expect(settings.tls == .verified)
        #expect(settings.idle && settings.interval == .seconds(60))
        #expect(settings.checkpointKey == "imap:INBOX")

        let (tls, _) = Self.settings(#"{"url": "imaps://mail.example.com:1993/Support%20Desk", "username": "u", "password": "file:/etc/pw", "post_action": "move-to", "move_folder": "Done", "ca_file": "/etc/ca.pem"}"#)
        #expect(tls?.serverURL == "imaps://mail.example.com:1993/")
        #expect(tls?.security == .implicitTLS)
        #expect(tls?.mailbox == "Support Desk")
        #expect(tls?.postAction == .moveTo("Done"))
        #expect(tls?.tls.caFile == "/etc/ca.pem")

        let (plain, _) = Self.settings(#"{"url": "imap://127.0.0.1:1143", "starttls": false, "username": "u", "xoauth2_token_file": "/run/token"}"#)
        #expect(plain?.security == .plaintext)
        #expect(plain?.authentication == .xoauth2(tokenFile: "/run/token"))
    }

    @Test(arguments: [
        (#"{"url": "imap://h", "username": "u", "password": "hunter2"}"#, "password"),
        (#"{"url": "http://h", "username": "u", "password": "env:P"}"#, "url"),
        (#"{"url": "imap://user:pw@h", "username": "u", "password": "env:P"}"#, "url"),
        (#"{"url": "imap://h/INBOX", "mailbox": "Other", "username": "u", "password": "env:P"}"#, "mailbox"),
        (#"{"url": "imap://h", "username": "u", "password": "env:P", "post_action": "move-to"}"#, "move_folder"),
        (#"{"url": "imap://h", "username": "u", "password": "env:P", "post_action": "delete"}"#, "post_action"),
        (#"{"url": "imap://h", "username": "u"}"#, "password"),
        (#"{"url": "imap://h", "username": "u", "password": "env:P", "xoauth2_token_file": "/t"}"#, "xoauth2_token_file"),
        (#"{"url": "imaps://h", "username": "u", "password": "env:P", "starttls": false}"#, "starttls"),
        (#"{"url": "imap://h", "username": "u", "password": "env:P", "intervall": "5s"}"#, "intervall"),
        (#"{"url": "imap://h", "username": "u", "password": "env:P", "mime": {"max_parts": 0}}"#, "max_parts"),
        (#"{"url": "imap://h", "username": "u", "password": "env:P", "mailbox": "a\nb"}"#, "mailbox"),
    ])
    func badSettingsAreReported(json: String, key: String) {
        let (_, issues) = Self.settings(json)
        #expect(issues.contains { $0.contains(key) }, "\(issues)")
        #expect(!issues.joined().contains("hunter2"))
    }

    @Test(arguments: [
        (#""password": "env:PW""#, "the password"),
        (#""xoauth2_token_file": "/run/token""#, "the OAuth access token (XOAUTH2)"),
    ])
    func insecureTransportWarningsNameTheCredentialInUse(credential: String, named: String) throws {
        let (s, issues) = Self.settings(#"{"url": "imap://127.0.0.1:1143", "starttls": false, "insecure_skip_verify": true, "username": "u", "#
                                        + credential + "}")
        #expect(issues.isEmpty)
        let warnings = try #require(s).securityWarnings
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.contains(named) }, "\(warnings)")
        #expect(warnings[1] == "STARTTLS is off (starttls: false): \(named) and the mail cross the network unencrypted")
        if named != "the password" { #expect(!warnings.joined().contains("password")) }

        let (safe, _) = Self.settings(#"{"url": "imaps://mail.example.com", "username": "u", "#  + credential + "}")
        #expect(try #require(safe).securityWarnings.isEmpty)
    }

    @Test func checkpointForm() {
        #expect(IMAPCheckpoint(stored: "1795347451:72") == IMAPCheckpoint(uidValidity: 1795347451, lastUID: 72))
        #expect(IMAPCheckpoint(uidValidity: 5, lastUID: 0).stored == "5:0")
        for bad in ["", "5", "x:1", "1:2:3", "-1:2", "4294967296:1"] { #expect(IMAPCheckpoint(stored: bad) == nil) }
    }

    @Test func backoffDoublesToItsCapWithJitter() {
        let backoff = EmailAdapterBackoff(minimum: .seconds(1), maximum: .seconds(60))
        #expect((1...8).map { backoff.ceiling(attempt: $0) } == [1, 2, 4, 8, 16, 32, 60, 60].map { .seconds($0) })
        #expect(backoff.ceiling(attempt: 10_000) == .seconds(60))
        #expect(backoff.delay(attempt: 3, random: 0) == .seconds(2))
        #expect(backoff.delay(attempt: 3, random: 0.999_999) <= .seconds(4))
        #expect(backoff.delay(attempt: 100, random: 0.5) == .seconds(45))
    }

    @Test func dedupeKeySurvivesRenumberingAndTellsReusedIDsApart() throws {
        func raw(_ date: String, id: String? = "<A1@Example.COM>", from: String = "a@example.com", extra: String = "") -> [UInt8] {
            Array(("From: \(from)\r\n" + (id.map { "Message-ID: \($0)\r\n" } ?? "") + "Date: \(date)\r\n\(extra)\r\nhi\r\n").utf8)
        }
        func key(_ bytes: [UInt8]) throws -> String {
            EmailAdapterMessageKey.externalID(for: try MailParser.parse(bytes), raw: bytes)
        }
        let a = try key(raw("Sun, 22 Nov 2026 10:00:00 +0000"))
        #expect(a.hasPrefix("mid:A1@example.com#"))
        // The same mail with another trace header (delivered twice, or after a UIDVALIDITY change): same key.
        #expect(try key(raw("Sun, 22 Nov 2026 10:00:00 +0000", extra: "Received: from x\r\n")) == a)
        // A sender reusing the Message-ID for another mail: another key.
        #expect(try key(raw("Mon, 23 Nov 2026 10:00:00 +0000")) != a)
        // No Message-ID: the bytes are the identity.
        let noID = raw("Sun, 22 Nov 2026 10:00:00 +0000", id: nil)
        #expect(try key(noID) == "sha256:" + EmailAdapterMessageKey.sha256Hex(noID))
        let long = try key(raw("x", id: "<" + String(repeating: "x", count: 300) + "@example.com>"))
        #expect(long.hasPrefix("mid-sha256:") && long.utf8.count < 100)
    }
}
