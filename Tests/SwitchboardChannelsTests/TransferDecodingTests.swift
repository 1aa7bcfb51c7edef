import Testing
@testable import SwitchboardChannels

@Suite struct TransferDecodingTests {
    @Test(arguments: [
        ("aGVsbG8gd29ybGQ=", Array("hello world".utf8)),
        ("aGVsbG8gd29ybGQ", Array("hello world".utf8)),  // padding missing
        ("aGVs\r\nbG8g\n d29y bGQ=\t", Array("hello world".utf8)),  // line noise
        ("aGVsbG8=IHdvcmxk", Array("hello world".utf8)),  // concatenated encoder output
        ("aGVsbG8===", Array("hello".utf8)),  // too much padding
        ("!!aGVs*bG8=", Array("hello".utf8)),  // junk characters
        ("a", []),  // a dangling sixth of a byte
        ("", []),
        ("-_-_", [0xFB, 0xFF, 0xBF]),  // base64url from broken encoders
    ] as [(String, [UInt8])])
    func base64(input: String, expected: [UInt8]) {
        let decoded = TransferDecoding.base64(Array(input.utf8))
        #expect(decoded == expected)
        #expect(Array(input.utf8).withUnsafeBufferPointer { TransferDecoding.base64Count($0) } == decoded.count)
    }

    @Test(arguments: [
        ("caf=C3=A9", [0x63, 0x61, 0x66, 0xC3, 0xA9]),
        ("lower =e4", Array("lower ".utf8) + [0xE4]),
        ("soft=\r\nbreak", Array("softbreak".utf8)),
        ("soft=\nbreak", Array("softbreak".utf8)),
        ("soft=  \r\nbreak", Array("softbreak".utf8)),  // white space after the soft break
        ("trailing   \r\nline", Array("trailing\r\nline".utf8)),
        ("keep\nLF", Array("keep\nLF".utf8)),
        ("bad =ZZ and =4", Array("bad =ZZ and =4".utf8)),
        ("equals at end=", Array("equals at end".utf8)),
        ("=3D=3d", Array("==".utf8)),
        ("", []),
    ] as [(String, [UInt8])])
    func quotedPrintable(input: String, expected: [UInt8]) {
        #expect(TransferDecoding.quotedPrintable(Array(input.utf8)) == expected)
    }

    @Test func qEncodingTurnsUnderscoresIntoSpaces() {
        #expect(TransferDecoding.qEncoding(Array("a_b=5Fc=20d".utf8)[...]) == Array("a b_c d".utf8))
    }
}
