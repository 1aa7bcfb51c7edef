import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite("Quarantine and checkpoints")
struct QuarantineAndCheckpointTests {
    @Test func quarantineKeepsErrorAndRawBytes() async throws {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try Store(path: dir.storePath, options: .testing(clock: clock), logger: .silent)
        defer { store.close() }
        let raw: [UInt8] = [0x46, 0x72, 0x6F, 0x6D, 0x3A, 0x00, 0xFF, 0xFE]
        let first = try await store.quarantine(adapterID: "support-mail", errorCode: "mime.header-too-long",
                                               errorMessage: "header line 3 is 70000 bytes", raw: raw)
        clock.advance(by: 1)
        let second = try await store.quarantine(adapterID: "sms", errorCode: "json.syntax", errorMessage: "bad", raw: [])
        #expect(SortableID.isWellFormed(first, prefix: "qt"))

        let items = try store.quarantined(limit: 10)
        #expect(items.map(\.id) == [second, first])
        #expect(items[1] == QuarantinedItem(id: first, adapterID: "support-mail",
                                            receivedAt: Date(storeMilliseconds: clock.now.storeMilliseconds - 1000),
                                            errorCode: "mime.header-too-long",
                                            errorMessage: "header line 3 is 70000 bytes", raw: raw))
        #expect(try store.quarantined(limit: 1).map(\.id) == [second])
        #expect(try store.stats().quarantined == 2)
    }

    @Test func checkpointsRoundTripOverwriteAndSurviveReopening() async throws {
        let dir = try TemporaryDirectory()
        var store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        #expect(try store.checkpoint(adapterID: "imap-support", key: "INBOX.uid") == nil)
        try await store.setCheckpoint(adapterID: "imap-support", key: "INBOX.uidvalidity", value: "1700000000")
        try await store.setCheckpoint(adapterID: "imap-support", key: "INBOX.uid", value: "41")
        try await store.setCheckpoint(adapterID: "imap-support", key: "INBOX.uid", value: "42")
        try await store.setCheckpoint(adapterID: "imap-sales", key: "INBOX.uid", value: "7")
        #expect(try store.checkpoint(adapterID: "imap-support", key: "INBOX.uid") == "42")
        store.close()

        store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        #expect(try store.checkpoint(adapterID: "imap-support", key: "INBOX.uid") == "42")
        #expect(try store.checkpoint(adapterID: "imap-support", key: "INBOX.uidvalidity") == "1700000000")
        #expect(try store.checkpoint(adapterID: "imap-sales", key: "INBOX.uid") == "7")
    }

    @Test func aCheckpointQueuedAfterMessagesCommitsWithOrAfterThem() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let seen = Completions<Bool>()
        seen.expect(1)
        let messages = (1...20).map { makeMessage("uid-\($0)") }
        store.ingest(messages) { _ in }
        store.setCheckpoint(adapterID: "support-mail", key: "uid", value: "20") { _ in
            seen.record((try? store.stats().messages) == 20)
        }
        #expect(seen.wait() == [true])
    }
}

@Suite("JSON columns and histogram")
struct ColumnTests {
    @Test(arguments: [
        [String: String](),
        ["a": "b"],
        ["quote\"": "back\\slash", "ctl": "\u{0}\u{1}\u{1F}\n\r\t", "uni": "ü🧾\u{2028}"],
    ])
    func objectsRoundTrip(_ object: [String: String]) throws {
        #expect(try JSONColumn.decodeObject(JSONColumn.encode(object), column: "t") == object)
    }

    /// The store's own writing before it used `JSONWriter`: byte by byte, keys sorted and looked up
    /// again.
    private func referenceEncoding(_ object: [String: String]) -> String {
        func string(_ text: String, _ out: inout [UInt8]) {
            out.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
                case 0x0A: out += Array("\\n".utf8)
                case 0x0D: out += Array("\\r".utf8)
                case 0x09: out += Array("\\t".utf8)
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        if object.isEmpty { return "{}" }
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            string(key, &out)
            out.append(UInt8(ascii: ":"))
            string(object[key]!, &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Byte for byte what the store wrote before, except the escapes `JSONWriter` spells its own way
    /// (backspace and form feed as `\b` and `\f`, U+2028 and U+2029 escaped for JavaScript):
    /// text with those is checked to read back the same.
    @Test func jsonObjectsAreWrittenByteForByteAsBefore() {
        // Every byte value in every position of a short text, and mixed texts and keys.
        var objects: [[String: String]] = [[:], ["": ""]]
        for byte in UInt8(0)..<0x80 {
            let c = String(decoding: [byte], as: UTF8.self)
            objects.append(["k": c, "k\(c)": "a\(c)b", "z": "\(c)\(c)end"])
        }
        let pieces = ["plain", "quote \" in", "back\\slash", "line\nbreak", "tab\there", "\r", "\u{01}\u{1F}", "é ü 漢字 🚀",
                      "\u{7F}", "\u{2028}", "e\u{301}", "provider", "account_sid", "Z", "a", "_", "10", "9"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var object: [String: String] = [:]
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                let key = (0..<Int.random(in: 1...3, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
                object[key] = (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            }
            objects.append(object)
        }
        func spelledDifferently(_ text: String) -> Bool {
            text.unicodeScalars.contains { [0x08, 0x0C, 0x2028, 0x2029].contains($0.value) }
        }
        var compared = 0
        for object in objects {
            let written = JSONColumn.encode(object)
            #expect((try? JSONColumn.decodeObject(written, column: "t")) == object)
            if object.contains(where: { spelledDifferently($0.key) || spelledDifferently($0.value) }) { continue }
            #expect(Array(written.utf8) == Array(referenceEncoding(object).utf8))
            compared += 1
        }
        #expect(compared > 500)   // about 700 of the 2,130: the others hold one of those four
    }

    @Test func attachmentsUseTheCodableShape() throws {
        let attachments = [SwitchboardCore.Attachment(name: "a \"b\"", contentType: "text/plain", size: 3, sha256: "ff", url: "u"),
                           SwitchboardCore.Attachment(contentType: "image/png", size: 0)]
        #expect(try JSONColumn.decodeAttachments(JSONColumn.encode(attachments), column: "t") == attachments)
        let text: String = JSONColumn.encode(attachments)
        let viaFoundation = try JSONDecoder().decode([SwitchboardCore.Attachment].self, from: Data(text.utf8))
        #expect(viaFoundation == attachments)
    }

    @Test func histogramQuantilesAreBucketBounds() {
        var histogram = LatencyHistogram()
        #expect(histogram.p50 == 0)
        for _ in 0..<98 { histogram.record(seconds: 0.0003) }
        histogram.record(seconds: 0.003)
        histogram.record(seconds: 9)
        #expect(histogram.p50 == 0.0005)
        #expect(histogram.quantile(0.99) == 0.005)
        #expect(histogram.quantile(1) == .infinity)
        #expect(histogram.count == 100)
    }
}
