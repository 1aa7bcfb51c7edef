import Foundation
import Testing
@testable import SwitchboardChannels

/// What the parser reads from each fixture of the corpus.
@Suite struct MailParserFixtureTests {
    struct Expectation: Sendable, CustomStringConvertible {
        var file: String
        var subject: String?
        var from: String?
        var fromName: String? = nil
        var source: MailMessage.TextSource = .plain
        /// Fragments the full text must contain.
        var text: [String] = []
        /// (name, type, size)
        var attachments: [String] = []
        var defects: [String] = []
        var description: String { file }
    }

    static let expectations: [Expectation] = [
        Expectation(file: "01-gmail-reply-alternative.eml", subject: "Re: Your invoice #4711", from: "juergen.mueller@gmail.com",
                    fromName: "Jürgen Müller", text: ["address — can you fix it?", "> we have updated your account."]),
        Expectation(file: "02-outlook-windows1252.eml", subject: "AW: Login", from: "Anna.Schmidt@Contoso.com",
                    text: ["I can’t log in since yesterday – the portal says “password expired”. Price was 49 €."]),
        Expectation(file: "03-iphone-flowed.eml", subject: "Where is my parcel?", from: "tom.baker@icloud.com",
                    text: ["has not been updated for five days."]),
        Expectation(file: "04-apple-related-image.eml", subject: "Screenshot of the error", from: "tom.baker@icloud.com",
                    fromName: "Baker, Tom", text: ["Here is the screenshot"],
                    attachments: ["Screenshot 2024-06-06 at 11.04.55.png|image/png|66"]),
        Expectation(file: "05-apple-text-image-text.eml", subject: "Damaged item", from: "maria.rossi@me.com",
                    text: ["see the photo:", "I would like a replacement"], attachments: ["IMG_0042.jpg|image/jpeg|774"]),
        Expectation(file: "06-latin1-german-reply.eml", subject: "Kündigung meines Vertrags", from: "klaus.weiss@web.de",
                    fromName: "Klaus Weiß", text: ["ich möchte meinen Vertrag kündigen", "Grüßen"]),
        Expectation(file: "07-windows1252-qp.eml", subject: "Refund “urgent”", from: "sean.obrien@example.ie",
                    fromName: "O'Brien, Sean", text: ["I’ve been charged €120 twice — please refund the “duplicate” payment…", "Seán"]),
        Expectation(file: "08-shift-jis.eml", subject: "注文した商品が届きません", from: "taro.yamada@example.co.jp",
                    fromName: "山田太郎", text: ["注文番号 A-1029 の商品がまだ届いていません。"]),
        Expectation(file: "09-iso-2022-jp.eml", subject: "お問い合わせ", from: "hanako@example.jp", text: ["パスワードを忘れました。"]),
        Expectation(file: "10-gb2312.eml", subject: "账户被锁定", from: "wang.wei@example.cn", fromName: "王伟",
                    text: ["我的账户被锁定了，无法登录。"]),
        Expectation(file: "11-koi8r.eml", subject: "Ошибка оплаты заказа номер 7788", from: "ivan.petrov@example.ru",
                    fromName: "Иван Петров", text: ["выдаёт ошибку 502"]),
        Expectation(file: "12-encoded-subject-split.eml", subject: "Ünïcödé 😀 subject — split across words",
                    from: "elodie.francois@example.fr", fromName: "Élodíe François", text: ["split in the middle"]),
        Expectation(file: "13-rfc2231-filenames.eml", subject: "Unterlagen", from: "lena@example.de", text: ["Anbei"],
                    attachments: ["Rechnung für den Monat März 2024 - € Betrag.pdf|application/pdf|1800",
                                  "übersicht.txt|text/plain|26", "ärger über ß.bin|application/octet-stream|10",
                                  "quarterly-report-2024-Q2.xlsx|application/vnd.openxmlformats-officedocument.spreadsheetml.sheet|10"]),
        Expectation(file: "14-base64-line-noise.eml", subject: "Scan", from: "scanner@example.org", text: ["Scanned document"],
                    attachments: ["scan.pdf|application/pdf|1800", "note.txt|text/plain|11"]),
        Expectation(file: "15-missing-closing-boundary.eml", subject: "Missing closing boundary", from: "noreply-but-human@example.net",
                    text: ["The text part is fine."], attachments: ["orders.csv|text/csv|26"], defects: ["missing_final_boundary@0"]),
        Expectation(file: "16-deep-nesting.eml", subject: "Nested", from: "nest@example.com", text: ["Deeply nested text."]),
        Expectation(file: "17-header-only.eml", subject: "(no body)", from: "header.only@example.com"),
        Expectation(file: "18-bare-lf.eml", subject: "Bare LF line endings", from: "user@unix.example.org",
                    text: ["Line one.\nLine two.\nLine three."]),
        Expectation(file: "19-auto-reply-ooo.eml", subject: "Automatic reply: Your ticket 12345", from: "peter.lang@contoso.com",
                    text: ["out of the office"]),
        Expectation(file: "20-mailing-list.eml", subject: "[users] Release 2.0 is out", from: "member@lists.example.org",
                    text: ["Version 2.0 has been released.", "users mailing list"]),
        Expectation(file: "21-forwarded-rfc822.eml", subject: "Fwd: Quote request", from: "agent@example.com",
                    text: ["please handle."], attachments: ["Quote request.eml|message/rfc822|439"]),
        Expectation(file: "22-broken-content-type.eml", subject: "Broken content type", from: "old@example.com",
                    text: ["Ümlaut."], defects: ["invalid_content_type@0"]),
        Expectation(file: "23-no-boundary-param.eml", subject: "Multipart without boundary", from: "script@example.com",
                    text: ["The boundary parameter is missing"], attachments: ["data.json|application/json|12"],
                    defects: ["no_boundary@0", "boundary_guessed@0"]),
        Expectation(file: "24-bounce-dsn.eml", subject: "Undelivered Mail Returned to Sender", from: "MAILER-DAEMON@mx.example.com",
                    text: ["550 5.1.1 User unknown"],
                    attachments: ["|message/delivery-status|112", "|text/rfc822-headers|73"]),
        Expectation(file: "25-html-only.eml", subject: "Summer Sale", from: "news@shop.example.com", source: .html,
                    text: ["Summer Sale\n\nDear customer,\nour prices dropped by 30% & more. Café édition €5 – today only.",
                           "- Shoes\n- Shirts and hats", "1. Choose\n2. Pay", "Mug €9",
                           "our shop (https://shop.example.com/sale?utm=1) or https://example.com."]),
        Expectation(file: "26-empty-plain-alternative.eml", subject: "Contact form submission", from: "webform@example.com",
                    source: .html, text: ["Name: Carla Gomez\n\nMessage: My order arrived damaged."]),
        Expectation(file: "27-mislabelled-latin1.eml", subject: "Problème de facture", from: "francois@example.fr",
                    fromName: "François", text: ["la facture est déjà payée."]),
        Expectation(file: "28-raw-utf8-headers.eml", subject: "Pedido retrasado — ¿dónde está?", from: "jose.alvarez@example.es",
                    fromName: "José Álvarez", text: ["todavía"]),
        Expectation(file: "29-address-forms.eml", subject: "Address forms", from: "jane.doe@Example.COM",
                    fromName: "Doe, Jane (Billing)", text: ["Testing address forms."]),
        Expectation(file: "30-qp-edge-cases.eml", subject: "QP edges", from: "qp@example.com",
                    text: ["Soft line break joins, equals = sign, lower hex äöü, euro €.",
                           "Invalid =ZZ stays, lone = stays, trailing spaces vanish\n",
                           "longer than seventy-six characters"]),
        Expectation(file: "31-outlook-tnef-calendar.eml", subject: "Meeting about escalation", from: "manager@contoso.com",
                    text: ["discuss the escalation"], attachments: ["winmail.dat|application/ms-tnef|104"]),
        Expectation(file: "32-mbox-from-line.eml", subject: "From an mbox file", from: "sender@example.com", text: ["exported from an mbox"]),
        Expectation(file: "33-pgp-signed.eml", subject: "Signed request", from: "alice@example.org",
                    text: ["Please close my account.\n\n-- \nAlice"], attachments: ["OpenPGP_signature.asc|application/pgp-signature|80"]),
        Expectation(file: "34-german-outlook-reply.eml", subject: "AW: Ihre Anfrage 5566", from: "sabine.wagner@firma.de",
                    text: ["Bitte um Rückruf.", "Gesendet: Donnerstag"]),
        Expectation(file: "35-french-reply.eml", subject: "Re: Votre réclamation", from: "amelie.dubois@example.fr",
                    fromName: "Amélie Dubois", text: ["le problème persiste", "a écrit :"]),
        Expectation(file: "36-raw-latin1-headers.eml", subject: "Bestellung für München", from: "info@mueller.example.de",
                    fromName: "Müller GmbH", text: ["die Bestellung für München fehlt."]),
        Expectation(file: "37-html-only-reply.eml", subject: "Re: Password reset", from: "chris.lee@example.com", source: .html,
                    text: ["The reset link has expired again.\n\nOn Sun, 7 Jul 2024 at 10:00, Support <support@example.com> wrote:\n\n> Here is your reset link.\n> It is valid for one hour."]),
    ]

    @Test func everyFixtureHasAnExpectation() {
        #expect(Set(MailFixtures.names) == Set(Self.expectations.map(\.file)))
        #expect(MailFixtures.names.count >= 30)
    }

    @Test(arguments: expectations)
    func readsFixture(_ expected: Expectation) throws {
        let mail = try MailFixtures.parse(expected.file)
        #expect(mail.subject == expected.subject)
        #expect(mail.from?.address == expected.from)
        if let name = expected.fromName { #expect(mail.from?.name == name) }
        #expect(mail.textSource == expected.source)
        for fragment in expected.text {
            #expect(mail.text.contains(fragment), "\(fragment.debugDescription) not in \(mail.text.debugDescription)")
        }
        #expect(mail.attachments.map { "\($0.name ?? "")|\($0.contentType)|\($0.size)" } == expected.attachments)
        for attachment in mail.attachments where attachment.contentType != "message/rfc822" {
            #expect(attachment.isDataComplete && attachment.data.count == attachment.size)
        }
        #expect(mail.defects.map(\.description) == expected.defects)
        #expect(!mail.text.contains("\r"))
    }

    @Test func readsHeadersDatesAndAddresses() throws {
        let mail = try MailFixtures.parse("29-address-forms.eml")
        #expect(mail.to.isEmpty)
        #expect(mail.cc.map(\.description) == ["Jörg <joerg@example.com>", "Support Desk <support@example.com>",
                                                "alice@example.com", "Bob <bob@example.com>"])
        #expect(mail.replyTo.map(\.description) == ["Jane Döe <jane.private@example.net>", "billing-team@example.com"])
        #expect(mail.sender?.address == "portal-mailer@example.com")
        #expect(mail.date == Date(timeIntervalSince1970: 1_719_759_600))  // 30 Jun 24 10:00 EST
        #expect(mail.header("message-id") == "<addr@example.com>")
        #expect(mail.headers(named: "CC").count == 1)
    }

    @Test func inlineImageKeepsItsContentID() throws {
        let mail = try MailFixtures.parse("04-apple-related-image.eml")
        let image = try #require(mail.attachments.first)
        #expect(image.contentID == "F00DBABE-1234@icloud.com")
        #expect(image.disposition == "inline")
        #expect(image.data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(mail.html?.contains("cid:F00DBABE-1234@icloud.com") == true)
    }

    @Test func forwardedMailIsKeptWhole() throws {
        let mail = try MailFixtures.parse("21-forwarded-rfc822.eml")
        let forwarded = try #require(mail.attachments.first)
        let inner = try MailParser.parse(forwarded.data)
        #expect(inner.subject == "Quote request")
        #expect(inner.text.contains("50 licences"))
    }
}
