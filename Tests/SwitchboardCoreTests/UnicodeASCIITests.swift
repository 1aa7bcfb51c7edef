import Testing
@testable import SwitchboardCore

/// The byte-level fast paths (`TextPreparation.cleanSubject`, `Identity.normalized`) must give
/// the same bytes as their Character-level definitions, for every input: these tests compare
/// them on tables of edge cases and on many random strings built from the pieces that change
/// Character boundaries (CR LF, combining accents, non-ASCII white space, prepended marks).
@Suite struct UnicodeASCIITests {
    @Test func asciiBytesAgreeWithCharacterProperties() {
        for byte in UInt8(0)..<0x80 {
            let character = Character(Unicode.Scalar(byte))
            #expect(UnicodeASCII.isWhitespace(byte) == character.isWhitespace, "byte \(byte)")
            #expect(UnicodeASCII.isNewline(byte) == character.isNewline, "byte \(byte)")
            #expect([UnicodeASCII.lowercased(byte)] == Array(String(character).lowercased().utf8), "byte \(byte)")
        }
        #expect(UnicodeASCII.lowercasedString(Array("Ana@Example.COM".utf8)) == "ana@example.com")
    }

    /// Pieces that are Characters of their own, join the Character before or after, or are white
    /// space only to Unicode.
    static let pieces = [
        " ", "  ", "\t", "\r\n", "\n", "\r", ":", "re", "RE", "Re", "fwd", "AW", "antw", "r", "x", "Benchmark",
        "Ä", "é", "e\u{301}", "\u{301}", "\u{A0}", "\u{2003}", "\u{85}", "\u{600}", "\u{200D}", "\u{212A}",
        "İ", "Ｒ", "\u{1F600}", "@", "<", ">", ".", ",", ";", "+", "-", "(", ")", "4", "9", "a", "B", "\u{2028}",
        "\u{0903}", "\u{0661}",
    ]

    static func randomText<G: RandomNumberGenerator>(_ generator: inout G, pieces: Int) -> String {
        (0..<pieces).map { _ in Self.pieces.randomElement(using: &generator)! }.joined()
    }

    @Test(arguments: [
        "AW: Ärger", "Re:Re: x", "Re: Re:  Fwd:hello ", " \t re : x", "", " ", ":", "re:", "RE:", "r: x",
        "Antw: Odp: SV: test", "Ré: x", "RE\u{A0}: x", "\u{2003}Re: x\u{2003}", "Re\u{301}: x", "Re:\u{301} x",
        "Fw: ", "x: y: z", "ÄW: x", "\u{1F600}: x", "re:\u{1F600}", "AW:Ärger\r\n", "Wg : Tr : Vs: été",
        "RE: FWD: Invoice 123", "Re :: x", "no colon here", "\n\nRe: x\n", "İ: x", "RE\u{212A}: x", "ＲＥ: x",
        " \u{301}Re: x", "Re: x \u{301}", "\u{600} Re: x", "Re: \r\n", "Benchmark message 7",
        "RE: FWD: AW: re: x", "abcde: x", "re\r\n: x",
    ])
    func subjectBytesAgreeWithCharacters(_ subject: String) {
        let expected = TextPreparation.cleanSubjectByCharacters(subject[...])
        #expect(Array(TextPreparation.cleanSubject(subject).utf8) == Array(expected.utf8))
    }

    @Test func randomSubjectsAgree() {
        var generator = SplitMix64(seed: 7)
        for round in 0..<20_000 {
            let subject = Self.randomText(&generator, pieces: round % 9)
            let expected = TextPreparation.cleanSubjectByCharacters(subject[...])
            #expect(Array(TextPreparation.cleanSubject(subject).utf8) == Array(expected.utf8), "\(subject.debugDescription)")
        }
    }

    @Test func subjectCutStopsAtNonASCIIDecisions() {
        func cut(_ subject: String) -> TextPreparation.SubjectCut {
            Array(subject.utf8).withUnsafeBufferPointer(TextPreparation.cutSubject)
        }
        #expect(cut("  Re: AW: x ") == .init(bounds: 10..<11, isFinal: true))
        #expect(cut("AW: Aerger") == .init(bounds: 4..<10, isFinal: true))
        // "Ä" might join the space before it: the Characters decide from the colon on.
        #expect(cut("AW: Ärger") == .init(bounds: 3..<10, isFinal: false))
        #expect(cut("AW:Ärger") == .init(bounds: 0..<9, isFinal: false))
        #expect(cut("Re: RE\u{A0}: x") == .init(bounds: 4..<11, isFinal: false))
        #expect(cut(" \t\r\n") == .init(bounds: 0..<0, isFinal: true))
    }

    @Test(arguments: [
        (Identity.Kind.email, "Ana@Example.COM"), (.email, " Ana <ANA@EXAMPLE.com> "), (.email, "a@b"),
        (.email, "ä@Bücher.de"), (.email, "x@y.z, w@v.u"), (.email, "İ@EXAMPLE.com"), (.email, "\u{A0}a@b.c\u{2003}"),
        (.email, "<>"), (.email, "a@b.c>"), (.email, "a@@b.c"), (.email, "@b.c"), (.email, "Ana <a@b.c"),
        (.email, "> a@b.c <"), (.email, "a@b.c\r\n"), (.email, "a\r\n@b.c"),
        (.phone, "+49 151 1234-5678"), (.phone, "+(49) 151.1234"), (.phone, "0151 12345678"),
        (.phone, "+491511234567890123"), (.phone, "+49a"), (.phone, "++4915112345678"), (.phone, "+٤٩١٥١١٢٣٤٥٦٧٨"),
        (.phone, "+4915112345678 "), (.phone, "+1234567"), (.phone, "+12345678"), (.phone, "+49１51123456"),
        (.phone, "+"), (.phone, "+4915112\u{301}345678"), (.phone, "+49151\r\n12345678"),
        (.social, "Carla@Social.Example"), (.social, "@"), (.social, "@ x"), (.social, "ÄRGER"),
        (.social, "@carla@social.example"), (.social, "İx"), (.social, "\u{A0}@x"), (.social, "x"),
        (.chat, "visitor-77"), (.chat, "a\nb"), (.chat, "a\r\nb"), (.chat, "a\u{2028}b"), (.chat, " v "),
        (.chat, "a\u{85}b"), (.chat, "a\u{B}b"), (.external, "X-1"), (.email, ""), (.chat, "   "),
        (.email, String(repeating: "a", count: 314) + "@b.cd"), (.email, String(repeating: "a", count: 315) + "@b.cd"),
    ])
    func identityBytesAgreeWithCharacters(kind: Identity.Kind, raw: String) {
        expectSameIdentity(kind: kind, raw: raw)
    }

    @Test func randomIdentitiesAgree() {
        var generator = SplitMix64(seed: 11)
        for round in 0..<20_000 {
            let raw = Self.randomText(&generator, pieces: round % 12)
            expectSameIdentity(kind: Identity.Kind.allCases[round % Identity.Kind.allCases.count], raw: raw)
        }
    }

    private func expectSameIdentity(kind: Identity.Kind, raw: String) {
        let fast = Identity.normalized(kind: kind, value: raw)
        let definition = Identity.normalizedByCharacters(kind: kind, value: raw)
        switch (fast, definition) {
        case (.success(let a), .success(let b)):
            #expect(a.kind == b.kind && Array(a.value.utf8) == Array(b.value.utf8), "\(kind) \(raw.debugDescription)")
        case (.failure(let a), .failure(let b)):
            #expect(a == b, "\(kind) \(raw.debugDescription)")
        default:
            Issue.record("\(kind) \(raw.debugDescription): \(fast) but by Characters \(definition)")
        }
    }
}
