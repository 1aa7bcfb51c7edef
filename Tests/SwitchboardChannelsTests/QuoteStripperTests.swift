import Testing
@testable import SwitchboardChannels

@Suite struct QuoteStripperTests {
    @Test(arguments: [
        ("My question.\n\nOn Mon, 3 Jun 2024 at 09:12, Support <s@example.com> wrote:\n> old", "My question."),
        ("My question.\n\nOn Mon, 3 Jun 2024 at 09:12, Support <\ns@example.com> wrote:\n\n> old", "My question."),
        ("Answer inline:\n> quoted question\nmy answer\n> another\nsecond answer", "Answer inline:\nmy answer\nsecond answer"),
        ("Bitte kündigen.\n\nAm 02.06.2024 um 14:03 schrieb Service <s@example.com>:\n> alt", "Bitte kündigen."),
        ("Merci.\n\nLe 5 juil. 2024 à 18:00, Support <s@example.com> a écrit :\n> ancien", "Merci."),
        ("Gracias.\n\nEl vie, 28 jun 2024 a las 10:00, Soporte (<s@example.com>) escribió:\n> viejo", "Gracias."),
        ("Thanks.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nold", "Thanks."),
        ("Danke.\n\n-----Ursprüngliche Nachricht-----\nVon: Support\nold", "Danke."),
        ("Thanks.\n\nFrom: Support <s@example.com>\nSent: Tuesday, June 4, 2024 8:15 AM\nTo: Me\nSubject: RE: x\n\nold", "Thanks."),
        ("Hallo.\n\nVon: Service <s@example.com>\nGesendet: Donnerstag\nAn: Ich\nBetreff: x\n\nalt", "Hallo."),
        ("Hi.\n\n________________________________\nFrom: Support <s@example.com>\nSent: today\n\nold", "Hi."),
        ("Thanks.\n\n*From:* Support <s@example.com>\n*Sent:* Tuesday\n\nold", "Thanks."),
        ("Close my account.\n\n-- \nAlice\n+49 123", "Close my account."),
        ("Close my account.\n--\nAlice", "Close my account."),
        ("Where is it?\n\nSent from my iPhone", "Where is it?"),
        ("Where is it?\n\nGet Outlook for iOS", "Where is it?"),
        ("Wo ist es?\n\nVon meinem iPhone gesendet", "Wo ist es?"),
        ("Où est-il ?\n\nEnvoyé de mon iPhone", "Où est-il ?"),
        // Forwarded mail is the inquiry: kept.
        ("Please handle.\n\n---------- Forwarded message ---------\nFrom: Customer <c@example.com>\nDate: Mon\nSubject: Help\n\nMy order is late.",
         "Please handle.\n\n---------- Forwarded message ---------\nFrom: Customer <c@example.com>\nDate: Mon\nSubject: Help\n\nMy order is late."),
        // Nothing left after stripping: the full text.
        ("> only a quote", "> only a quote"),
        ("On Mon, Support <s@example.com> wrote:\n> only quoted", "On Mon, Support <s@example.com> wrote:\n> only quoted"),
        ("No quotes here.\r\nSecond line.", "No quotes here.\nSecond line."),
        ("On the other hand, I wrote:\nthis is not a quote header because it is long enough to be a sentence? no, it ends with a colon only on the first line", "On the other hand, I wrote:\nthis is not a quote header because it is long enough to be a sentence? no, it ends with a colon only on the first line"),
    ])
    func strips(text: String, expected: String) {
        #expect(QuoteStripper.stripForClassification(text) == expected)
    }
}
