import Testing
@testable import SwitchboardChannels

@Suite struct AddressParserTests {
    @Test(arguments: [
        ("jane@example.com", [MailAddress(address: "jane@example.com")]),
        ("<jane@example.com>", [MailAddress(address: "jane@example.com")]),
        ("Jane Doe <jane@example.com>", [MailAddress(name: "Jane Doe", address: "jane@example.com")]),
        ("\"Doe, Jane\" <jane@example.com>", [MailAddress(name: "Doe, Jane", address: "jane@example.com")]),
        ("\"Jane \\\"JD\\\" Doe\" <jane@example.com>", [MailAddress(name: "Jane \"JD\" Doe", address: "jane@example.com")]),
        ("jane@example.com (Jane Doe)", [MailAddress(name: "Jane Doe", address: "jane@example.com")]),
        ("Jane Doe <jane@example.com> (work)", [MailAddress(name: "Jane Doe", address: "jane@example.com")]),
        ("=?utf-8?q?J=C3=B6rg?= <j@example.de>", [MailAddress(name: "Jörg", address: "j@example.de")]),
        ("=?utf-8?q?J=C3=B6rg?= =?utf-8?q?_M=C3=BCller?= <j@example.de>", [MailAddress(name: "Jörg Müller", address: "j@example.de")]),
        ("\"=?utf-8?B?SsO2cmc=?=\" <j@example.de>", [MailAddress(name: "Jörg", address: "j@example.de")]),
        ("José Álvarez <jose@example.es>", [MailAddress(name: "José Álvarez", address: "jose@example.es")]),
        ("a@example.com, \"B, b\" <b@example.com>;c@example.com",
         [MailAddress(address: "a@example.com"), MailAddress(name: "B, b", address: "b@example.com"), MailAddress(address: "c@example.com")]),
        ("undisclosed-recipients:;", []),
        ("Team: alice@example.com, Bob <bob@example.com>;, carol@example.com",
         [MailAddress(address: "alice@example.com"), MailAddress(name: "Bob", address: "bob@example.com"), MailAddress(address: "carol@example.com")]),
        ("<@relay.example.net:jane@example.com>", [MailAddress(address: "jane@example.com")]),
        ("\"john doe\"@example.com", [MailAddress(address: "\"john doe\"@example.com")]),
        ("Jane Doe jane@example.com", [MailAddress(name: "Jane Doe", address: "jane@example.com")]),
        ("Jane <jane@example.com", [MailAddress(name: "Jane", address: "jane@example.com")]),
        ("MAILER-DAEMON", [MailAddress(address: "MAILER-DAEMON")]),
        ("john.q.public@[192.168.0.1]", [MailAddress(address: "john.q.public@[192.168.0.1]")]),
        ("", []),
        (",,, ;", []),
    ])
    func parses(header: String, expected: [MailAddress]) {
        #expect(AddressParser.parse(header) == expected)
    }
}
