import Foundation
import Testing
@testable import SwitchboardChannels

@Suite struct CharsetsTests {
    static let cases: [(String, String, String.Encoding?)] = [
        ("utf-8", "Grüße €", .utf8),
        ("iso-8859-1", "Grüße", .isoLatin1),
        ("latin1", "Grüße", .isoLatin1),
        ("windows-1252", "“quoted” – €", .windowsCP1252),
        ("cp1252", "‘single’", .windowsCP1252),
        ("windows-1251", "Привет", .windowsCP1251),
        ("windows-1250", "Zażółć", .windowsCP1250),
        ("iso-8859-2", "Zażółć", .isoLatin2),
        ("shift_jis", "日本語のテキスト", .shiftJIS),
        ("iso-2022-jp", "日本語", .iso2022JP),
    ]

    @Test(arguments: cases)
    func decodesFoundationEncodedText(charset: String, text: String, encoding: String.Encoding?) throws {
        let bytes = try #require(text.data(using: encoding!))
        #expect(Charsets.decode([UInt8](bytes), charset: charset) == text)
    }

    @Test(arguments: [
        ("koi8-r", [0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4], "Привет"),
        ("gb2312", [0xD6, 0xD0, 0xCE, 0xC4], "中文"),
        ("GBK", [0xD6, 0xD0, 0xCE, 0xC4], "中文"),
        ("big5", [0xA4, 0xA4, 0xA4, 0xE5], "中文"),
        ("ks_c_5601-1987", [0xC7, 0xD1, 0xB1, 0xDB], "한글"),
        ("euc-kr", [0xC7, 0xD1, 0xB1, 0xDB], "한글"),
        ("iso-8859-15", [0xA4], "€"),
        ("iso-8859-7", [0xE1, 0xE2], "αβ"),
        ("\"UTF-8\"", [0xC3, 0xA9], "é"),
        ("utf-8*en", [0xC3, 0xA9], "é"),
        ("us-ascii", [0xC3, 0xA9], "é"),  // 8-bit under an ASCII label: UTF-8 when valid
        ("us-ascii", [0xE9], "é"),  // else windows-1252
        ("x-unknown-charset", [0xE9], "é"),
        (nil, [0x80], "€"),
        ("utf-8", [0x63, 0x61, 0x66, 0xE9], "café"),  // mislabelled Latin-1
        ("utf-8", [0xC3, 0xA9, 0xFF], "é\u{FFFD}"),  // real UTF-8 with one bad byte
        ("shift_jis", [0x93, 0xFA, 0xFF, 0x96, 0x7B], "日\u{FFFD}本"),  // an invalid byte is replaced, the rest kept
        ("utf-16le", [0x41, 0x00, 0x42, 0x00], "AB"),
        ("utf-7", Array("Hi +AOk-".utf8), "Hi é"),
        ("../../etc/passwd", [0x41], "A"),
    ] as [(String?, [UInt8], String)])
    func decodes(charset: String?, bytes: [UInt8], expected: String) {
        #expect(Charsets.decode(bytes, charset: charset) == expected)
    }

    @Test func iconvIsSafeFromManyThreads() async {
        let bytes: [UInt8] = [0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4]
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<64 { group.addTask { Charsets.decode(bytes, charset: "koi8-r") } }
            var all: [String] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.allSatisfy { $0 == "Привет" })
    }
}
