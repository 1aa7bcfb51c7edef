import Foundation
import Testing
@testable import SwitchboardChannels

/// The pure IMAP response parser: whole transcripts fed at once, one byte at a time, and in
/// random splits must give the same responses (NIO's ByteToMessageDecoderVerifier idea).
@Suite struct IMAPResponseParserTests {
    static func responses(_ bytes: [UInt8], chunks: [Int]? = nil, parser: IMAPResponseParser = IMAPResponseParser()) throws -> [IMAPResponse] {
        var parser = parser
        var out: [IMAPResponse] = []
        var offset = 0
        var sizes = chunks ?? [bytes.count]
        while offset < bytes.count {
            let size = max(1, min(sizes.isEmpty ? bytes.count : sizes.removeFirst(), bytes.count - offset))
            parser.append(bytes[offset..<(offset + size)])
            offset += size
            while let response = try parser.next() { out.append(response) }
        }
        #expect(parser.bufferedByteCount == 0)
        return out
    }

    /// The same responses whole, byte by byte, and in 50 random splits.
    static func checkSplits(_ text: [UInt8]) throws -> [IMAPResponse] {
        let whole = try responses(text)
        #expect(try responses(text, chunks: Array(repeating: 1, count: text.count)) == whole)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var chunks: [Int] = []
            var total = 0
            while total < text.count {
                let n = Int.random(in: 1...max(1, text.count / 3), using: &rng)
                chunks.append(n)
                total += n
            }
            #expect(try responses(text, chunks: chunks) == whole)
        }
        return whole
    }

    static let selectTranscript = Array("""
    * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r
    * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r
    * 3 EXISTS\r
    * 0 RECENT\r
    * OK [UIDVALIDITY 1795347451] UIDs valid\r
    * OK [UIDNEXT 4] Predicted next UID\r
    S2 OK [READ-WRITE] Select completed (0.002 + 0.000 secs).\r

    """.utf8)

    @Test func select() throws {
        let r = try Self.checkSplits(Self.selectTranscript)
        #expect(r.count == 7)
        #expect(r[0] == .other(keyword: "FLAGS", values: [.list(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"].map { .atom($0) })]))
        #expect(r[1] == .condition(.ok, code: IMAPResponseCode(name: "PERMANENTFLAGS", argument: "(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)"), text: "Flags permitted."))
        #expect(r[2] == .exists(3))
        #expect(r[3] == .recent(0))
        #expect(r[4] == .condition(.ok, code: IMAPResponseCode(name: "UIDVALIDITY", argument: "1795347451"), text: "UIDs valid"))
        if case .condition(_, let code?, _) = r[4] { #expect(code.number == 1795347451) }
        #expect(r[6] == .tagged(tag: "S2", status: .ok, code: IMAPResponseCode(name: "READ-WRITE"), text: "Select completed (0.002 + 0.000 secs)."))
    }

    @Test func fetchWithLiteralsAndCRLFInside() throws {
        let mail1 = Array("From: a@example.com\r\nSubject: {5}\r\n\r\nbody with ) and \" and {3}\r\n".utf8)
        let mail2 = Array("X: y\r\n\r\n".utf8)
        var text = Array("* 1 FETCH (UID 7 RFC822.SIZE \(mail1.count) BODY[] {\(mail1.count)}\r\n".utf8) + mail1 + Array(")\r\n".utf8)
        text += Array("* 2 FETCH (BODY[] {\(mail2.count)+}\r\n".utf8) + mail2 + Array(" UID 9 FLAGS (\\Seen $Label))\r\n".utf8)
        text += Array("S5 OK Fetch completed.\r\n".utf8)
        let r = try Self.checkSplits(text)
        #expect(r.count == 3)
        #expect(r[0] == .fetch(sequence: 1, IMAPFetchAttributes(uid: 7, size: mail1.count, bodySection: "", body: mail1)))
        #expect(r[1] == .fetch(sequence: 2, IMAPFetchAttributes(uid: 9, flags: ["\\Seen", "$Label"], bodySection: "", body: mail2)))
        #expect(r[2] == .tagged(tag: "S5", status: .ok, code: nil, text: "Fetch completed."))
    }

    @Test func emptyLiteralNilBodyAndHeaderSection() throws {
        let text = Array("* 1 FETCH (UID 1 BODY[] {0}\r\n)\r\n* 2 FETCH (UID 2 BODY[HEADER] NIL)\r\n* 3 FETCH (UID 3 BODY[HEADER.FIELDS (FROM SUBJECT)] \"x\")\r\n".utf8)
        let r = try Self.checkSplits(text)
        #expect(r[0] == .fetch(sequence: 1, IMAPFetchAttributes(uid: 1, bodySection: "", body: [])))
        #expect(r[1] == .fetch(sequence: 2, IMAPFetchAttributes(uid: 2, bodySection: "HEADER", body: nil)))
        #expect(r[2] == .fetch(sequence: 3, IMAPFetchAttributes(uid: 3, bodySection: "HEADER.FIELDS (FROM SUBJECT)", body: Array("x".utf8))))
    }

    @Test func capabilityContinuationByeAndQuotedEscapes() throws {
        let text = Array("""
        * CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS ESEARCH\r
        + idling\r
        * LIST (\\HasNoChildren) "/" "Done \\"x\\" \\\\ y"\r
        * BYE Server shutting down.\r
        S9 NO [TRYCREATE] Mailbox doesn't exist: Nope\r

        """.utf8)
        let r = try Self.checkSplits(text)
        #expect(r[0] == .capability(["IMAP4REV1", "IDLE", "MOVE", "UIDPLUS", "ESEARCH"]))
        #expect(r[1] == .continuation("idling"))
        #expect(r[2] == .other(keyword: "LIST", values: [.list([.atom("\\HasNoChildren")]), .string(Array("/".utf8)), .string(Array("Done \"x\" \\ y".utf8))]))
        #expect(r[3] == .condition(.bye, code: nil, text: "Server shutting down."))
        #expect(r[4] == .tagged(tag: "S9", status: .no, code: IMAPResponseCode(name: "TRYCREATE"), text: "Mailbox doesn't exist: Nope"))
    }

    @Test func searchAndESearch() throws {
        // A SEARCH answer far over libcurl's 64 KiB line cap is read whole.
        let uids = (1...20_000).map(UInt32.init)
        let search = Array(("* SEARCH " + uids.map(String.init).joined(separator: " ") + "\r\n").utf8)
        #expect(search.count > 100_000)
        #expect(try Self.responses(search) == [.search(uids)])
        let es = Array("* ESEARCH (TAG \"S4\") UID COUNT 20000 ALL 1:19990,19995:20004 MIN 1 MAX 20004\r\n".utf8)
        let r = try Self.responses(es)
        guard case .esearch(let result) = r.first else { Issue.record("not ESEARCH: \(r)"); return }
        #expect(result.tag == "S4")
        #expect(result.isUID)
        #expect(result.count == 20_000)
        #expect(result.min == 1 && result.max == 20_004)
        #expect(result.all?.count == 20_000)
        #expect(result.all?.description == "1:19990,19995:20004")
    }

    @Test func bareLineFeedsAreTolerated() throws {
        let text = Array("* 2 EXISTS\nS1 OK done\n".utf8)
        #expect(try Self.checkSplits(text) == [.exists(2), .tagged(tag: "S1", status: .ok, code: nil, text: "done")])
    }

    @Test func limitsAreEnforcedBeforeBytesArrive() throws {
        var parser = IMAPResponseParser(maxLineBytes: 1_000, maxLiteralBytes: 100)
        parser.append(Array("* 1 FETCH (UID 1 BODY[] {101}\r\n".utf8))
        #expect(throws: IMAPProtocolError.self) { _ = try parser.next() }

        var lines = IMAPResponseParser(maxLineBytes: 1_000, maxLiteralBytes: 100)
        lines.append(Array(repeating: UInt8(ascii: "a"), count: 1_500))
        #expect(throws: IMAPProtocolError.self) { _ = try lines.next() }
    }

    @Test func garbageIsAProtocolError() {
        for text in ["* 1 FETCH UID 1\r\n", "* 1 FETCH (UID 1\r\n", "S1 MAYBE done\r\n", "\r\n", "* 1 FETCH (UID x)\r\n"] {
            var parser = IMAPResponseParser()
            parser.append(Array(text.utf8))
            #expect(throws: IMAPProtocolError.self, "\(text.debugDescription)") { _ = try parser.next() }
        }
    }

    @Test func largeLiteralInChunks() throws {
        // 25 MB of mail in 64 KiB segments, as the socket delivers it.
        var body = [UInt8](repeating: UInt8(ascii: "x"), count: 25 << 20)
        body[0] = UInt8(ascii: "A")
        body[body.count - 1] = UInt8(ascii: "Z")
        let text = Array("* 1 FETCH (UID 42 BODY[] {\(body.count)}\r\n".utf8) + body + Array(")\r\nS3 OK done\r\n".utf8)
        let start = ContinuousClock.now
        let r = try Self.responses(text, chunks: Array(repeating: 64 << 10, count: text.count / (64 << 10) + 1))
        let elapsed = ContinuousClock.now - start
        #expect(r.count == 2)
        guard case .fetch(_, let attributes) = r[0] else { Issue.record("not a FETCH"); return }
        #expect(attributes.uid == 42)
        #expect(attributes.body == body)
        #expect(elapsed < .seconds(20))
    }

    @Test func sequenceSets() {
        #expect(IMAPSequenceSet([5, 1, 2, 3, 3, 9, 10, 7]).description == "1:3,5,7,9:10")
        #expect(IMAPSequenceSet([UInt32]()).isEmpty)
        #expect(IMAPSequenceSet([UInt32.max, 1, UInt32.max - 1]).description == "1,4294967294:4294967295")
        #expect(IMAPSequenceSet(parsing: "1:3,2:5,9")?.description == "1:5,9")
        #expect(IMAPSequenceSet(parsing: "4:2")?.uids == [2, 3, 4])
        #expect(IMAPSequenceSet(parsing: "1:*") == nil)
        #expect(IMAPSequenceSet(parsing: "0") == nil)
        #expect(IMAPSequenceSet(parsing: "") == nil)
        #expect(IMAPSequenceSet(ranges: [10...12, 1...2, 3...4]).description == "1:4,10:12")
    }

    @Test(arguments: [
        ("INBOX", "\"INBOX\""),
        ("Done/2026", "\"Done/2026\""),
        ("Say \"hi\"\\", "\"Say \\\"hi\\\"\\\\\""),
        ("Gelöscht", "\"Gel&APY-scht\""),
        ("A&B", "\"A&-B\""),
        ("台北", "\"&U,BTFw-\""),
        ("~peter/mail/日本語/台北", "\"~peter/mail/&ZeVnLIqe-/&U,BTFw-\""),
    ])
    func mailboxNames(name: String, wire: String) {
        #expect(IMAPCommand.mailbox(name) == wire)
    }
}
