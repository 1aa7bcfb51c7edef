import Foundation
import Testing
@testable import SwitchboardCore

@Suite struct IdentityTests {
    @Test(arguments: [
        (Identity.Kind.email, "  Ana.Silva@Example.COM ", "ana.silva@example.com"),
        (.email, "Ana Silva <ana@example.com>", "ana@example.com"),
        (.phone, "+49 151 1234-5678", "+4915112345678"),
        (.phone, "+1 (415) 555-0100", "+14155550100"),
        (.social, "Carla@Social.Example", "@carla@social.example"),
        (.chat, "visitor-77", "visitor-77"),
    ])
    func normalizes(kind: Identity.Kind, raw: String, expected: String) throws {
        let identity = try Identity.normalized(kind: kind, value: raw).get()
        #expect(identity == Identity(kind: kind, value: expected))
    }

    @Test(arguments: [
        (Identity.Kind.email, "not-an-address"),
        (.email, "a@b"),
        (.email, ""),
        (.phone, "015112345678"),
        (.phone, "+49 abc"),
        (.phone, "+123"),
        (.chat, "two\nlines"),
    ])
    func rejects(kind: Identity.Kind, raw: String) {
        #expect(throws: IdentityError.self) { try Identity.normalized(kind: kind, value: raw).get() }
    }
}

@Suite struct SortableIDTests {
    @Test func idsSortByCreationAndAreWellFormed() {
        var previous = ""
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        for i in 0..<5000 {
            // Several ids per millisecond, and time moving forward.
            let id = SortableID.make("msg", now: start.addingTimeInterval(Double(i / 7) / 1000))
            #expect(id > previous)
            #expect(SortableID.isWellFormed(id, prefix: "msg"))
            previous = id
        }
    }

    @Test func laterMillisecondsSortLater() {
        let a = SortableID.make("ct", now: Date(timeIntervalSince1970: 1_000))
        let b = SortableID.make("ct", now: Date(timeIntervalSince1970: 2_000))
        #expect(a < b)
        #expect(!SortableID.isWellFormed(a, prefix: "msg"))
        #expect(!SortableID.isWellFormed("msg_../../etc/passwd", prefix: "msg"))
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-22T09:15:00Z", 1_795_338_900.0),
        ("2026-11-22T10:15:00+01:00", 1_795_338_900.0),
        ("2026-11-22T09:15:00.250Z", 1_795_338_900.25),
        ("1970-01-01T00:00:00Z", 0.0),
        ("2000-02-29T23:59:59-00:30", 951_870_599.0),
    ])
    func parses(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.0005)
    }

    @Test(arguments: ["2026-13-01T00:00:00Z", "2026-11-22 09:15", "2026-11-22T09:15:00", "yesterday", "2026-11-22T09:15:00Zjunk"])
    func rejects(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatRoundTrips() throws {
        for seconds in [0.0, 951_870_599.123, 1_795_338_900.25, 4_102_444_800.999] {
            let date = Date(timeIntervalSince1970: seconds)
            let parsed = try #require(RFC3339.parse(RFC3339.format(date)))
            #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.001)
        }
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }
}

@Suite struct LoggerTests {
    @Test func recordsFieldsAndRespectsLevel() {
        let handler = InMemoryLogHandler(minimumLevel: .info)
        let logger = Logger(label: "store", handler: handler)
        logger.debug("hidden")
        logger.warning("slow commit", ["batch": "12"])
        #expect(handler.records.count == 1)
        #expect(handler.records[0] == .init(level: .warning, label: "store", message: "slow commit", fields: ["batch": "12"]))
    }
}
