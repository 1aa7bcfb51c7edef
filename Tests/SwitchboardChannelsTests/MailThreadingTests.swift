import Foundation
import SwitchboardCore
import Testing
@testable import SwitchboardChannels

@Suite struct MailThreadingTests {
    @Test(arguments: [
        ("<abc@example.com>", ["abc@example.com"]),
        ("<a@x> <b@y>\r\n <c@z>", ["a@x", "b@y", "c@z"]),
        ("<a@x>,<b@y>", ["a@x", "b@y"]),
        ("<a@x> (Jane's message of Monday)", ["a@x"]),
        ("Your message of Monday <a@x>", ["a@x"]),
        ("a@x", ["a@x"]),
        ("a@x b@y", ["a@x", "b@y"]),
        ("< a@x >", ["a@x"]),
        ("<unclosed@x", ["unclosed@x"]),
        ("", []),
        ("no ids here", []),
    ])
    func extractsMessageIDs(value: String, expected: [String]) {
        #expect(MailThreading.messageIDs(in: value) == expected)
    }

    @Test(arguments: [
        ("<Abc.Def@Example.COM>", "Abc.Def@example.com"),
        ("abc@host", "abc@host"),
        (" <a b@x> ", "ab@x"),
        ("<>", nil),
        ("no-at-sign", "no-at-sign"),
    ] as [(String, String?)])
    func normalizesKeys(id: String, key: String?) {
        #expect(MailThreading.key(for: id) == key)
    }

    @Test func threadKeysJoinReferencesAndInReplyTo() throws {
        let mail = try MailFixtures.parse("01-gmail-reply-alternative.eml")
        let keys = MailThreading.threadKeys(for: mail)
        #expect(keys.own == "CAHx9qK0=Zr+2bYw@mail.gmail.com")
        // References oldest first, In-Reply-To already among them (same key after normalization).
        #expect(keys.refersTo == ["CAF=abc123@mail.example.com", "20240603071200.1A2B3C@example.com"])
    }

    @Test func aReplyFindsItsOriginalByKey() throws {
        let original = MailMessage(messageID: "ticket-1@Example.com")
        let reply = MailMessage(messageID: "r1@x", inReplyTo: ["ticket-1@EXAMPLE.COM"])
        #expect(MailThreading.threadKeys(for: reply).refersTo == [MailThreading.threadKeys(for: original).own!])
    }

    @Test func ownKeyIsNeverReferenced() {
        let mail = MailMessage(messageID: "a@x", inReplyTo: ["a@X"], references: ["b@x", "a@x", "b@x"])
        #expect(MailThreading.threadKeys(for: mail).refersTo == ["b@x"])
    }

    @Test func mapsToInboundMessage() throws {
        let raw = MailFixtures.bytes("26-empty-plain-alternative.eml")
        let mail = try MailParser.parse(raw)
        let inbound = try MailThreading.inboundMessage(from: mail, adapterID: "support-mailbox", externalID: "7:42", raw: raw)
        #expect(inbound.channel == .email)
        #expect(inbound.adapterID == "support-mailbox")
        #expect(inbound.externalID == "7:42")
        #expect(inbound.sender == Identity(kind: .email, value: "webform@example.com"))
        #expect(inbound.senderName == "Web Form")
        #expect(inbound.recipient == "support@example.com")
        #expect(inbound.subject == "Contact form submission")
        #expect(inbound.text.contains("My order arrived damaged."))
        #expect(inbound.html?.contains("<b>Name:</b>") == true)
        #expect(inbound.threadKey == "form-1@example.com")
        #expect(inbound.replyTo.isEmpty)
        #expect(inbound.metadata["message_id"] == "form-1@example.com")
        #expect(inbound.metadata["reply_to"] == "Carla Gomez <carla.gomez@example.es>")
        #expect(inbound.metadata["auto_submitted"] == nil)
        #expect(inbound.sentAt == Date(timeIntervalSince1970: 1_719_482_400))
        #expect(inbound.raw == raw)
        #expect(mail.answerAddresses == [MailAddress(name: "Carla Gomez", address: "carla.gomez@example.es")])
    }

    @Test func senderIsTheNormalizedFromAddress() throws {
        let mail = try MailFixtures.parse("02-outlook-windows1252.eml")
        let inbound = try MailThreading.inboundMessage(from: mail, adapterID: "m", externalID: "1", raw: [])
        #expect(inbound.sender.value == "anna.schmidt@contoso.com")
        #expect(inbound.senderName == "Anna Schmidt")
        #expect(inbound.replyTo == ["20240604061500.99@example.com"])
    }

    @Test func automatedMailCarriesItsReason() throws {
        let mail = try MailFixtures.parse("19-auto-reply-ooo.eml")
        let inbound = try MailThreading.inboundMessage(from: mail, adapterID: "m", externalID: "1", raw: [])
        #expect(inbound.metadata["auto_submitted"] == "auto-submitted: auto-replied")
        #expect(inbound.replyTo == ["ticket-12345@example.com"])
    }

    @Test func attachmentsAreHashedByTheAdapter() throws {
        let mail = try MailFixtures.parse("13-rfc2231-filenames.eml")
        let inbound = try MailThreading.inboundMessage(from: mail, adapterID: "m", externalID: "1", raw: []) { bytes in
            "fake-\(bytes.count)"
        }
        #expect(inbound.attachments.map(\.sha256) == ["fake-1800", "fake-26", "fake-10", "fake-10"])
        #expect(inbound.attachments.first?.name == "Rechnung für den Monat März 2024 - € Betrag.pdf")
    }

    @Test func mailWithoutSenderIsRefused() throws {
        let mail = try MailParser.parse(Array("Subject: who?\r\nTo: support@example.com\r\n\r\nhi\r\n".utf8))
        #expect(throws: MailParseError.self) {
            try MailThreading.inboundMessage(from: mail, adapterID: "m", externalID: "1", raw: [])
        }
        let daemon = try MailParser.parse(Array("From: MAILER-DAEMON\r\nSender: bounces@example.com\r\n\r\nhi\r\n".utf8))
        let inbound = try MailThreading.inboundMessage(from: daemon, adapterID: "m", externalID: "1", raw: [])
        #expect(inbound.sender.value == "bounces@example.com")
    }
}
