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

    /// The ULID layout written bit by bit, as `make` wrote it before it took 5 bits at a time.
    private func referenceEncoding(_ prefix: String, millis: UInt64, high: UInt16, low: UInt64) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
        var out = [UInt8](prefix.utf8)
        out.append(UInt8(ascii: "_"))
        var bits = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bits[i] = UInt8(truncatingIfNeeded: millis >> UInt64(40 - 8 * i)) }
        bits[6] = UInt8(truncatingIfNeeded: high >> 8); bits[7] = UInt8(truncatingIfNeeded: high)
        for i in 0..<8 { bits[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i)) }
        for index in 0..<26 {
            let bitOffset = index == 0 ? 0 : 3 + (index - 1) * 5
            var value = 0
            for b in 0..<(index == 0 ? 3 : 5) {
                let bit = bitOffset + b
                value = (value << 1) | Int((bits[bit / 8] >> UInt8(7 - bit % 8)) & 1)
            }
            out.append(alphabet[value])
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func theEncodingIsTheULIDLayoutBitForBit() {
        var generator = SystemRandomNumberGenerator()
        var cases: [(UInt64, UInt16, UInt64)] = [
            (0, 0, 0), (0xFFFF_FFFF_FFFF, 0xFFFF, .max), (1, 1, 1), (1 << 47, 1 << 15, 1 << 63),
            (1_790_000_000_000, 0x7FFF, 0x8000_0000_0000_0001), (0x1_0000_0000_0000, 0, 0),  // millis past 48 bits: cut
        ]
        for shift in 0..<64 { cases.append((UInt64(1) << UInt64(shift % 48), UInt16(1) << UInt16(shift % 16), UInt64(1) << UInt64(shift))) }
        for _ in 0..<5000 { cases.append((generator.next() >> 16, UInt16.random(in: 0...UInt16.max), generator.next())) }
        for prefix in ["msg", "ct", "cv", "", "éa"] {
            for (millis, high, low) in cases {
                #expect(SortableID.encode(prefix, millis: millis, high: high, low: low)
                        == referenceEncoding(prefix, millis: millis, high: high, low: low))
            }
        }
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
