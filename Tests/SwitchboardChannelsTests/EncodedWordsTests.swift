import Testing
@testable import SwitchboardChannels

@Suite struct EncodedWordsTests {
    @Test(arguments: [
        ("=?utf-8?q?caf=C3=A9?=", "café"),
        ("=?UTF-8?B?Q2Fmw6k=?=", "Café"),
        ("=?iso-8859-1?q?Gr=FC=DFe?= aus Berlin", "Grüße aus Berlin"),
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),
        ("=?utf-8?q?a?=\t  =?utf-8?q?_b?=", "a b"),
        ("Re: =?utf-8?q?caf=C3=A9?= ok", "Re: café ok"),
        ("Re:=?utf-8?q?caf=C3=A9?=", "Re:café"),
        // A character split across two words.
        ("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=", "café"),
        ("=?utf-8?b?w6k=?= =?iso-8859-1?q?=E9?=", "éé"),
        ("=?utf-8*en?q?hello?=", "hello"),
        ("=?koi8-r?b?8NLJ18XU?=", "Привет"),
        ("=?shift_jis?B?k/qWe4zq?=", "日本語"),
        ("=?gb2312?B?1tDOxA==?=", "中文"),
        ("=?utf-8?q?not closed", "=?utf-8?q?not closed"),
        ("plain text", "plain text"),
        ("=?unknown-charset?q?abc?=", "abc"),
        ("=?utf-8?x?abc?=", "=?utf-8?x?abc?="),
        ("=?utf-8?b?w6k?=", "é"),
        ("a =?utf-8?q?b?= c", "a b c"),
    ])
    func decodes(input: String, expected: String) {
        #expect(EncodedWords.decode(input) == expected)
    }
}
