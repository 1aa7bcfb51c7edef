import Foundation
import Testing
@testable import SwitchboardChannels

/// The outbound mail builder: headers, encodings, threading, structure, determinism. Every
/// rendered mail is read back with the project's own MIME parser.
@Suite struct SMTPMailTests {
    static let date = Date(timeIntervalSince1970: 1_795_348_265)  // Sun, 22 Nov 2026 11:51:05 UTC

    static func reply(automatic: Bool = false, html: String? = "<p>Hello <b>José</b>,</p><p>your refund is on its way.</p>") -> SMTPMail {
        let threading = SMTPMail.replyThreading(toMessageID: "<orig.2@example.com>", references: ["root.1@example.com"],
                                                subject: "Rückerstattung für Bestellung #4711 – dringend")
        return SMTPMail(from: MailAddress(name: "Support, Example", address: "support@switchboard.test"),
                        to: [MailAddress(name: "José Müller", address: "jose@beispiel.de")],
                        cc: [MailAddress(address: "billing@switchboard.test")],
                        subject: threading.subject,
                        text: "Hello José,\n\nyour refund is on its way.\nFrom here on it takes 3 days.\n.\n\n-- \nExample Support",
                        html: html, messageID: "reply.123@switchboard.test", date: date,
                        inReplyTo: threading.inReplyTo, references: threading.references, isAutomatic: automatic)
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    static func headerBlock(_ bytes: [UInt8]) -> String {
        let text = Self.text(bytes)
        return String(text[..<text.range(of: "\r\n\r\n")!.lowerBound])
    }

    @Test func replyHeadersAndThreading() throws {
        let bytes = try Self.reply().rendered()
        let head = Self.headerBlock(bytes)
        #expect(head.contains("Message-ID: <reply.123@switchboard.test>"))
        #expect(head.contains("In-Reply-To: <orig.2@example.com>"))
        #expect(head.contains("References: <root.1@example.com> <orig.2@example.com>"))
        #expect(head.contains("Date: Sun, 22 Nov 2026 11:51:05 +0000"))
        #expect(head.contains("From: \"Support, Example\" <support@switchboard.test>"))
        #expect(head.contains("MIME-Version: 1.0"))
        #expect(!head.contains("Auto-Submitted"))
        // Every header line is ASCII and at most 78 characters.
        for line in head.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "\(line)")
            #expect(line.unicodeScalars.allSatisfy { $0.value < 0x7F }, "\(line)")
        }
        let mail = try MailParser.parse(bytes)
        #expect(mail.subject == "Re: Rückerstattung für Bestellung #4711 – dringend")
        #expect(mail.messageID == "reply.123@switchboard.test")
        #expect(mail.inReplyTo == ["orig.2@example.com"])
        #expect(mail.references == ["root.1@example.com", "orig.2@example.com"])
        #expect(mail.to.first?.name == "José Müller")
        #expect(mail.from?.name == "Support, Example")
        #expect(mail.cc.map(\.address) == ["billing@switchboard.test"])
        #expect(mail.automation == nil)
        // Threaded the way the inbound side threads: the reply refers to the original's key.
        #expect(MailThreading.threadKeys(for: mail).refersTo.contains("orig.2@example.com"))
    }

    @Test func alternativeBodiesRoundTrip() throws {
        let original = Self.reply()
        let bytes = try original.rendered()
        let head = Self.headerBlock(bytes)
        #expect(head.contains("Content-Type: multipart/alternative; boundary=\"=_sb_"))
        let mail = try MailParser.parse(bytes)
        #expect(mail.text.trimmingCharacters(in: .whitespacesAndNewlines) == original.text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(mail.html?.contains("<b>José</b>") == true)
        #expect(mail.attachments.isEmpty)
        #expect(mail.defects.isEmpty, "\(mail.defects)")
        // Quoted-printable keeps body lines short and "From " and a lone dot safe.
        let body = Self.text(bytes)
        for line in body.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78, "\(line)") }
        #expect(body.contains("=46rom here on"))
        #expect(body.contains("\r\n=2E\r\n"))
    }

    @Test func plainTextOnlyIs7bitWhenItCanBe() throws {
        var mail = Self.reply(html: nil)
        mail.text = "Thanks, we got your message.\nA person will answer soon."
        mail.subject = "Re: Order 4711"
        let bytes = try mail.rendered()
        let text = Self.text(bytes)
        #expect(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nThanks, we got your message.\r\nA person will answer soon.\r\n"))
        #expect(Self.headerBlock(bytes).contains("Subject: Re: Order 4711"))
        mail.text = "Grüße"
        let qp = Self.text(try mail.rendered())
        #expect(qp.contains("Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n"))
    }

    @Test func automaticAnswersAreMarked() throws {
        let bytes = try Self.reply(automatic: true).rendered()
        let head = Self.headerBlock(bytes)
        #expect(head.contains("Auto-Submitted: auto-replied"))
        #expect(head.contains("X-Auto-Response-Suppress: All"))
        let mail = try MailParser.parse(bytes)
        #expect(mail.automation != nil)
    }

    @Test func renderingIsDeterministic() throws {
        let mail = Self.reply()
        #expect(try mail.rendered() == mail.rendered())
        var other = mail
        other.messageID = "reply.124@switchboard.test"
        let a = Self.headerBlock(try mail.rendered())
        let b = Self.headerBlock(try other.rendered())
        #expect(a != b)  // another Message-ID, another boundary
    }

    @Test func longSubjectsFoldAndEncodedWordsStayShort() throws {
        var mail = Self.reply(html: nil)
        mail.subject = String(repeating: "Invoice question about order 4711 and the refund ", count: 4)
        let head = Self.headerBlock(try mail.rendered())
        for line in head.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
        #expect(try MailParser.parse(mail.rendered()).subject == mail.subject.trimmingCharacters(in: .whitespaces))

        mail.subject = String(repeating: "注文について問い合わせ ", count: 8) + "end"
        let encoded = Self.headerBlock(try mail.rendered())
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
        for word in encoded.split(whereSeparator: { $0 == " " || $0 == "\r" || $0 == "\n" }) where word.hasPrefix("=?") {
            #expect(word.count <= 75)
        }
        #expect(try MailParser.parse(mail.rendered()).subject == mail.subject)
        // A header value cannot smuggle in a line break.
        mail.subject = "Hi\r\nBcc: victim@example.com"
        let injected = Self.headerBlock(try mail.rendered())
        #expect(!injected.contains("\r\nBcc:"))
    }

    @Test func replyThreadingRules() {
        let first = SMTPMail.replyThreading(toMessageID: "a@x", references: [], subject: "Help")
        #expect(first.inReplyTo == "a@x")
        #expect(first.references == ["a@x"])
        #expect(first.subject == "Re: Help")
        let second = SMTPMail.replyThreading(toMessageID: "<c@x>", references: ["<a@x>", "b@x"], subject: "RE: Help")
        #expect(second.references == ["a@x", "b@x", "c@x"])
        #expect(second.subject == "RE: Help")
        let noRefs = SMTPMail.replyThreading(toMessageID: "c@x", references: [], inReplyTo: ["b@x"], subject: "AW: Hilfe")
        #expect(noRefs.references == ["b@x", "c@x"])
        let long = SMTPMail.replyThreading(toMessageID: "z@x", references: (1...40).map { "r\($0)@x" }, subject: nil)
        #expect(long.references.count == 20)
        #expect(long.references.first == "r1@x")
        #expect(long.references.last == "z@x")
    }

    @Test(arguments: [
        MailAddress(address: "no-at-sign"),
        MailAddress(address: "a b@example.com"),
        MailAddress(address: "jösé@example.com"),
        MailAddress(address: "x@y>\r\nBcc: z@w"),
    ])
    func invalidAddressesAreRefused(address: MailAddress) {
        var mail = Self.reply()
        mail.to = [address]
        #expect(throws: SMTPMail.RenderError.self) { _ = try mail.rendered() }
    }

    @Test func envelopeRecipientsIncludeBccOnce() throws {
        var mail = Self.reply()
        mail.bcc = [MailAddress(address: "audit@switchboard.test"), MailAddress(address: "JOSE@beispiel.de")]
        #expect(mail.envelopeRecipients == ["jose@beispiel.de", "billing@switchboard.test", "audit@switchboard.test"])
        #expect(!Self.headerBlock(try mail.rendered()).contains("audit@"))
    }

    @Test func newMessageIDsAreUniqueAndWellFormed() {
        let ids = (0..<1000).map { _ in SMTPMail.newMessageID(domain: "Switchboard.Test") }
        #expect(Set(ids).count == 1000)
        for id in ids.prefix(5) {
            #expect(id.hasSuffix("@switchboard.test"))
            #expect(!id.contains("<") && !id.contains(" "))
        }
    }
}
