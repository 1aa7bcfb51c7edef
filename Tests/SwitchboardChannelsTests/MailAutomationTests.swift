import Testing
@testable import SwitchboardChannels

@Suite struct MailAutomationTests {
    static func mail(_ headers: String, contentType: String = "text/plain") throws -> MailMessage {
        try MailParser.parse(Array("From: a@example.com\r\nContent-Type: \(contentType)\r\n\(headers)\r\n\r\nbody\r\n".utf8))
    }

    @Test(arguments: [
        ("Auto-Submitted: auto-replied", "auto-submitted: auto-replied"),
        ("Auto-Submitted: auto-generated (vacation)", "auto-submitted: auto-generated"),
        ("Auto-Submitted: auto-notified; owner-email=\"x@example.com\"", "auto-submitted: auto-notified"),
        ("Precedence: bulk", "precedence: bulk"),
        ("Precedence: LIST", "precedence: list"),
        ("Precedence: junk", "precedence: junk"),
        ("List-Id: <users.lists.example.org>", "list: list-id"),
        ("List-Unsubscribe: <mailto:leave@example.org>", "list: list-unsubscribe"),
        ("X-Auto-Response-Suppress: All", "x-auto-response-suppress: All"),
        ("X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply", "x-auto-response-suppress: DR, RN, NRN, OOF, AutoReply"),
        ("X-Autoreply: yes", "auto-reply header: x-autoreply"),
        ("Return-Path: <>", "return-path: <>"),
        ("Return-Path: < >", "return-path: <>"),
    ])
    func recognizes(header: String, reason: String) throws {
        let parsed = try Self.mail(header)
        #expect(parsed.isAutomated)
        #expect(parsed.automation?.description == reason)
    }

    @Test(arguments: [
        "Auto-Submitted: no",
        "Precedence: first-class",
        "Return-Path: <jane@example.com>",
        "X-Auto-Response-Suppress: None",
        "X-Mailer: Outlook",
    ])
    func personalMailIsNotAutomated(header: String) throws {
        #expect(try Self.mail(header).automation == nil)
    }

    @Test func deliveryReportsAreAutomated() throws {
        let parsed = try Self.mail("", contentType: "multipart/report; report-type=delivery-status; boundary=x")
        #expect(parsed.automation == .deliveryReport("delivery-status"))
    }

    @Test(arguments: ["19-auto-reply-ooo.eml", "20-mailing-list.eml", "24-bounce-dsn.eml", "25-html-only.eml"])
    func fixturesAreAutomated(name: String) throws {
        #expect(try MailFixtures.parse(name).isAutomated)
    }
}
