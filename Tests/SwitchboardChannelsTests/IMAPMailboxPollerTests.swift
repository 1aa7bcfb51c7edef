import Foundation
import Glibc
import Testing
import SwitchboardCore
import SwitchboardStore
import SwitchboardSystem
@testable import SwitchboardChannels

/// The poll loop against a scripted server and a real store on a temporary file: the cases a
/// real Dovecot will not produce on demand (a mail the server refuses to send, a refused
/// post-action).
@Suite(.serialized) struct IMAPMailboxPollerTests {
    static func mail(_ n: Int) -> String {
        "From: customer\(n)@example.com\r\nMessage-ID: <poll\(n)@example.com>\r\nDate: Sun, 22 Nov 2026 10:00:0\(n) +0000\r\nSubject: n \(n)\r\n\r\nhelp \(n)\r\n"
    }

    static func literal(_ n: Int) -> String {
        let m = mail(n)
        return "* \(n) FETCH (UID \(n) BODY[] {\(m.utf8.count)}\r\n\(m))\r\n"
    }

    /// Five mails; UID 3 is never sent (NO), whatever is asked.
    static func server(storeAnswer: String = "OK done") -> ScriptedIMAPServer {
        let server = ScriptedIMAPServer()
        server.on("CAPABILITY") { tag, _ in "* CAPABILITY IMAP4rev1 UIDPLUS\r\n\(tag) OK done\r\n" }
        server.on("SELECT") { tag, _ in "* 5 EXISTS\r\n* OK [UIDVALIDITY 77] ok\r\n\(tag) OK done\r\n" }
        server.on("EXAMINE") { tag, _ in "* 5 EXISTS\r\n* OK [UIDVALIDITY 77] ok\r\n\(tag) OK done\r\n" }
        server.on("UID FETCH 1:* (UID RFC822.SIZE)") { tag, _ in
            (1...5).map { "* \($0) FETCH (UID \($0) RFC822.SIZE \(mail($0).utf8.count))\r\n" }.joined() + "\(tag) OK done\r\n"
        }
        server.on("UID FETCH 6:* (UID RFC822.SIZE)") { tag, _ in "* 5 FETCH (UID 5 RFC822.SIZE 10)\r\n\(tag) OK done\r\n" }
        server.on("UID FETCH 1:5 (UID BODY.PEEK[])") { tag, _ in
            [1, 2, 4, 5].map(literal).joined() + "\(tag) NO Some messages could not be fetched\r\n"
        }
        server.on("UID FETCH 3 (UID)") { tag, _ in "* 3 FETCH (UID 3)\r\n\(tag) OK done\r\n" }
        server.on("UID FETCH 3 (UID BODY.PEEK[HEADER])") { tag, _ in
            "* 3 FETCH (UID 3 BODY[HEADER] {14}\r\nSubject: x\r\n\r\n)\r\n\(tag) OK done\r\n"
        }
        server.on("UID FETCH 3 (UID BODY.PEEK[])") { tag, _ in "\(tag) NO [SERVERBUG] Internal error occurred\r\n" }
        server.on("UID STORE") { tag, _ in "\(tag) \(storeAnswer)\r\n" }
        server.on("NOOP") { tag, _ in "\(tag) OK done\r\n" }
        server.on("LOGOUT") { tag, _ in "* BYE bye\r\n\(tag) OK done\r\n" }
        return server
    }

    final class Harness {
        let dir: String
        let store: Store
        let status: IMAPAdapterStatus
        let poller: IMAPMailboxPoller
        let wakeRead: Int32
        let wakeWrite: Int32
        let done = DispatchSemaphore(value: 0)
        var connections = 0

        init(postAction: IMAPAdapterSettings.PostAction, server: @escaping () -> ScriptedIMAPServer) throws {
            dir = NSTemporaryDirectory() + "sb-imap-poller-\(UInt32.random(in: 0...UInt32.max))"
            store = try Store(path: dir + "/sb.db", logger: .silent)
            var fds: [Int32] = [-1, -1]
            precondition(pipe(&fds) == 0)
            (wakeRead, wakeWrite) = (fds[0], fds[1])
            let settings = IMAPAdapterSettings(serverURL: "imap://scripted/", host: "scripted", security: .plaintext, username: "u",
                                               authentication: .password(.environment("X"), mechanism: nil), interval: .seconds(3600),
                                               idle: false, postAction: postAction, batchSize: 10,
                                               backoffMin: .milliseconds(100), backoffMax: .milliseconds(200))
            status = IMAPAdapterStatus(mailbox: "INBOX", postAction: postAction.description)
            let context = AdapterContext(id: "mail", store: store, logger: .silent, metrics: MetricsRegistry(), environment: [:])
            var made: (() throws -> any IMAPTransport)!
            poller = IMAPMailboxPoller(settings: settings, context: context, status: status, wake: fds[0], connect: { try made() })
            made = { [unowned self] in
                self.connections += 1
                return server()
            }
            let (poller, done) = (poller, done)
            let box = UncheckedBox(poller)
            Thread {
                box.value.run()
                done.signal()
            }.start()
            _ = poller
        }

        func stop() {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
            done.wait()
            close(wakeRead)
            close(wakeWrite)
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }

        func waitFor(_ what: String, timeout: TimeInterval = 10, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while try !condition() {
                guard Date() < deadline else { throw HarnessError(message: "timed out waiting for \(what): \(status.detail)") }
                usleep(10_000)
            }
        }

        struct HarnessError: Error { var message: String }
    }

    struct UncheckedBox<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    @Test func aMailTheServerWillNotSendIsQuarantinedAfterThreeRounds() throws {
        let harness = try Harness(postAction: .leave) { Self.server() }
        defer { harness.stop() }
        try harness.waitFor("the checkpoint past UID 5") { try harness.store.checkpoint(adapterID: "mail", key: "imap:INBOX") == "77:5" }
        let quarantined = try harness.store.quarantined().filter { $0.adapterID == "mail" }
        #expect(quarantined.count == 1)
        #expect(quarantined.first?.errorCode == "imap.fetch_failed")
        #expect(quarantined.first?.errorMessage.contains("SERVERBUG") == true)
        #expect(quarantined.first?.raw == Array("Subject: x\r\n\r\n".utf8))
        let stats = try harness.store.stats()
        #expect(stats.messages == 4)
        #expect(harness.connections == 3)  // two failed rounds, then the third gives up on UID 3
        #expect(harness.status.snapshot.errors["command_failed"] == 2)
    }

    @Test func aRefusedPostActionIsCountedAndTheMailboxMovesOn() throws {
        let harness = try Harness(postAction: .flagSeen) {
            let server = Self.server(storeAnswer: "NO [CANNOT] flags are read-only here")
            // This server sends every mail.
            server.handlers.removeAll { $0.prefix.hasPrefix("UID FETCH 1:5") }
            server.on("UID FETCH 1:5 (UID BODY.PEEK[])") { tag, _ in (1...5).map(Self.literal).joined() + "\(tag) OK done\r\n" }
            return server
        }
        defer { harness.stop() }
        try harness.waitFor("the checkpoint past UID 5") { try harness.store.checkpoint(adapterID: "mail", key: "imap:INBOX") == "77:5" }
        #expect(try harness.store.stats().messages == 5)
        let snapshot = harness.status.snapshot
        #expect(snapshot.postActionFailures == 1)
        #expect(snapshot.lastPostActionError?.contains("flags are read-only") == true)
        #expect(harness.status.detail.contains("post-action flag-seen failed 1x"))
        #expect(harness.connections == 1)
    }
}
