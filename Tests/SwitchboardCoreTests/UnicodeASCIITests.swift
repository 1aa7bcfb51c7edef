import Testing
@testable import SwitchboardCore

/// The byte-level fast paths (`TextPreparation.cleanSubject`) must give
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
}
