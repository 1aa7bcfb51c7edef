import Foundation
import Testing
@testable import SwitchboardChannels

/// The parser is pure and total: the same bytes give the same message on any thread, and any
/// bytes give a message or a `MailParseError`, never a crash.
@Suite struct MailParserRobustnessTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: MailFixtures.names)
    func sameBytesSameMessage(name: String) throws {
        let bytes = MailFixtures.bytes(name)
        let first = try MailParser.parse(bytes)
        let second = try MailParser.parse(Array(bytes))
        #expect(first == second)
        // A copy that lives elsewhere in memory (a slice of a bigger buffer) reads the same.
        let padded = [UInt8](repeating: 0x41, count: 7) + bytes
        #expect(try MailParser.parse(Array(padded[7...])) == first)
    }

    @Test func sameMessageOnManyThreads() async throws {
        let names = MailFixtures.names
        let expected = try names.map { try MailFixtures.parse($0) }
        let results = await withTaskGroup(of: (Int, MailMessage?).self) { group in
            for round in 0..<4 {
                for (index, name) in names.enumerated() {
                    group.addTask { (index, try? MailParser.parse(MailFixtures.bytes(name))) }
                }
                _ = round
            }
            var all: [(Int, MailMessage?)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == names.count * 4)
        for (index, message) in results { #expect(message == expected[index]) }
    }

    /// Line ends do not change what a mail says: CRLF and LF versions read the same text.
    @Test(arguments: MailFixtures.names)
    func lineEndsDoNotMatter(name: String) throws {
        let bytes = MailFixtures.bytes(name)
        var lf: [UInt8] = []
        for (index, byte) in bytes.enumerated() where !(byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) {
            lf.append(byte)
        }
        var crlf: [UInt8] = []
        for byte in lf {
            if byte == 0x0A { crlf.append(0x0D) }
            crlf.append(byte)
        }
        let a = try MailParser.parse(lf)
        let b = try MailParser.parse(crlf)
        #expect(a.subject == b.subject)
        #expect(a.from == b.from)
        #expect(a.text == b.text)
        #expect(a.attachments.map(\.name) == b.attachments.map(\.name))
        #expect(a.attachments.map(\.contentType) == b.attachments.map(\.contentType))
    }

    /// Every fixture cut at random places parses or throws `MailParseError`.
    @Test(arguments: MailFixtures.names)
    func truncationsNeverCrash(name: String) {
        let bytes = MailFixtures.bytes(name)
        var generator = SeededGenerator(state: UInt64(truncatingIfNeeded: name.hashValue & 0) &+ UInt64(bytes.count))
        var cuts = Set([0, 1, 2, bytes.count / 2, bytes.count - 1])
        for _ in 0..<60 { cuts.insert(Int.random(in: 0..<bytes.count, using: &generator)) }
        for cut in cuts.sorted() {
            let result = Result { () throws(MailParseError) in try MailParser.parse(Array(bytes[..<cut])) }
            if case .failure(let error) = result {
                #expect([.empty, .notAMessage].contains(error.code), "\(name) cut at \(cut): \(error)")
            }
        }
    }

    /// Random byte flips (including CR, LF, quotes, `=`, `-`) in every fixture.
    @Test(arguments: MailFixtures.names)
    func mutationsNeverCrash(name: String) {
        let original = MailFixtures.bytes(name)
        var generator = SeededGenerator(state: UInt64(original.count) &* 31)
        let interesting: [UInt8] = [0x0D, 0x0A, 0x22, 0x3D, 0x2D, 0x3F, 0x3C, 0x3E, 0x3B, 0x28, 0x29, 0x5C, 0x00, 0xFF, 0x80, 0x20, 0x09]
        for _ in 0..<40 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? MailParser.parse(bytes)
        }
    }

    /// Inputs built to make a naive parser quadratic finish quickly.
    @Test(.timeLimit(.minutes(1)))
    func hostileInputsStayLinear() throws {
        let started = ContinuousClock.now
        let words = String(repeating: "=?x?b?A", count: 15_000)
        let subject = try MailParser.parse(Array("From: a@example.com\r\nSubject: \(words)\r\nTo: \(words)\r\n\r\n".utf8))
        #expect(subject.subject?.hasPrefix("=?x?b?A") == true)
        let html = String(repeating: "<a href=x>", count: 50_000) + String(repeating: "<!--", count: 10_000)
        _ = HTMLText.text(from: html)
        var body = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        body += String(repeating: "--b\r\n\r\n", count: 400)
        _ = try MailParser.parse(Array(body.utf8))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(20), "took \(elapsed)")
    }

    @Test func garbageIsNotAMessage() {
        for input in [[UInt8](), Array("no colon on this line\r\n\r\nbody".utf8), [0x00, 0xFF, 0xFE], Array(" leading space: x".utf8)] {
            #expect(throws: MailParseError.self) { try MailParser.parse(input) }
        }
    }
}

/// Limits: crossing one is a clear error naming the place; attachment bytes are capped.
@Suite struct MailParseLimitTests {
    static func multipart(depth: Int) -> [UInt8] {
        var inner = "Content-Type: text/plain\r\n\r\ndeep\r\n"
        for level in stride(from: depth, to: 0, by: -1) {
            inner = "Content-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n--b\(level)\r\n\(inner)\r\n--b\(level)--\r\n"
        }
        return Array("From: a@example.com\r\n\(inner)".utf8)
    }

    @Test func depthLimit() throws {
        var limits = MailParseLimits()
        limits.maxDepth = 5
        #expect(try MailParser.parse(Self.multipart(depth: 5), limits: limits).text.contains("deep"))
        let error = try #require(throws: MailParseError.self) { try MailParser.parse(Self.multipart(depth: 6), limits: limits) }
        #expect(error.code == .tooDeep)
        #expect(error.place == "1.1.1.1.1")
        // The default is generous for real mail but stops a recursion bomb.
        let bomb = try #require(throws: MailParseError.self) { try MailParser.parse(Self.multipart(depth: 200)) }
        #expect(bomb.code == .tooDeep)
    }

    @Test func partLimit() throws {
        var body = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        for index in 0..<50 { body += "--x\r\nContent-Type: text/plain\r\n\r\npart \(index)\r\n" }
        body += "--x--\r\n"
        var limits = MailParseLimits()
        limits.maxParts = 20
        let error = try #require(throws: MailParseError.self) { try MailParser.parse(Array(body.utf8), limits: limits) }
        #expect(error.code == .tooManyParts)
        #expect(try MailParser.parse(Array(body.utf8)).text.contains("part 49"))
    }

    @Test func headerLimit() throws {
        let header = "From: a@example.com\r\nX-Junk: " + String(repeating: "x", count: 300_000) + "\r\n\r\nbody"
        let error = try #require(throws: MailParseError.self) { try MailParser.parse(Array(header.utf8)) }
        #expect(error.code == .headerTooLarge)
        #expect(error.place == "0")
        #expect(!error.hint.isEmpty)
    }

    @Test func messageLimit() throws {
        var limits = MailParseLimits()
        limits.maxMessageBytes = 100
        let error = try #require(throws: MailParseError.self) {
            try MailParser.parse(Array(("From: a@example.com\r\n\r\n" + String(repeating: "x", count: 200)).utf8), limits: limits)
        }
        #expect(error.code == .messageTooLarge)
    }

    @Test func longTextIsCut() throws {
        var limits = MailParseLimits()
        limits.maxTextBytes = 1000
        let mail = try MailParser.parse(Array(("From: a@example.com\r\n\r\n" + String(repeating: "x", count: 5000)).utf8), limits: limits)
        #expect(mail.text.utf8.count == 1000)
        #expect(mail.defects.map(\.code) == ["text_truncated"])
    }

    /// A 25 MB attachment, made at test time: its size is known, its bytes are not kept.
    @Test(.timeLimit(.minutes(1)))
    func hugeAttachment() throws {
        let size = 25 * 1024 * 1024
        var payload = [UInt8](repeating: 0, count: size)
        var generator = MailParserRobustnessTests.SeededGenerator(state: 25)
        for index in stride(from: 0, to: size, by: 8) {
            withUnsafeBytes(of: generator.next()) { word in
                for offset in 0..<min(8, size - index) { payload[index + offset] = word[offset] }
            }
        }
        let encoded = Data(payload).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        var mail = Array("""
            From: Big Sender <big@example.com>\r
            To: support@example.com\r
            Subject: Huge attachment\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="huge"\r
            \r
            --huge\r
            Content-Type: text/plain\r
            \r
            See the attached video.\r
            --huge\r
            Content-Type: video/mp4; name="recording.mp4"\r
            Content-Disposition: attachment; filename="recording.mp4"\r
            Content-Transfer-Encoding: base64\r
            \r

            """.utf8)
        mail.append(contentsOf: encoded.utf8)
        mail.append(contentsOf: Array("\r\n--huge--\r\n".utf8))
        let started = ContinuousClock.now
        let parsed = try MailParser.parse(mail)
        let elapsed = ContinuousClock.now - started
        print("25 MB attachment (\(mail.count) bytes of mail) parsed in \(elapsed)")
        #expect(parsed.text.hasPrefix("See the attached video."))
        let attachment = try #require(parsed.attachments.first)
        #expect(attachment.name == "recording.mp4")
        #expect(attachment.size == size)
        #expect(!attachment.isDataComplete)
        #expect(attachment.data.isEmpty)
        #expect(parsed.defects.map(\.code) == ["attachment_bytes_not_kept"])

        var generous = MailParseLimits()
        generous.maxAttachmentBytes = 30 * 1024 * 1024
        let kept = try MailParser.parse(mail, limits: generous)
        #expect(kept.attachments.first?.data == payload)
    }
}
