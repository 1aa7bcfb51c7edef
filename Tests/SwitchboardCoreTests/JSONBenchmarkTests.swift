import Dispatch
import Foundation
import SwitchboardCore
import Testing

/// Parse and write speed on a typical posted message. Skipped unless SWITCHBOARD_JSON_BENCH is set;
/// prints figures, never asserts timings. Run it in release:
///
///     SWITCHBOARD_JSON_BENCH=1 swift test -c release --scratch-path .build-config --filter JSONBenchmark
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SWITCHBOARD_JSON_BENCH"] != nil, "set SWITCHBOARD_JSON_BENCH=1"))
struct JSONBenchmarkTests {
    static let message = Array("""
    {"id":"crm-7f3a9c21-0b44","channel":"email","from":{"kind":"email","value":"jane.doe@example.com","name":"Jane Doe"},\
    "to":"support@example.com","subject":"Invoice #20931 charged twice","text":"Hello, my card was charged twice for \
    invoice 20931 on 3 March. Could you refund one of the payments? Thanks, Jane","sent_at":"2024-03-04T09:12:44Z",\
    "thread":"inv-20931","attributes":{"tier":"gold","lang":"en","account":"A-55120"},"priority":2,"score":0.87}
    """.utf8)

    static func nanoseconds(per iterations: Int, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<iterations / 10 { try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { try body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)
    }

    @Test func parseAndWriteAMessage() throws {
        let parser = JSONParser()
        var keys = 0
        let parse = try Self.nanoseconds(per: 200_000) {
            keys &+= try parser.parse(Self.message).objectValue?.count ?? 0
        }
        let value = try parser.parse(Self.message)
        var bytes = 0
        let serialize = Self.nanoseconds(per: 200_000) { bytes &+= value.serialized().count }
        let response = Self.nanoseconds(per: 200_000) {
            var writer = JSONWriter(capacity: 128)
            writer.object { w in
                w.field("id", "msg_01JD3Z8Q4XABCDEFGHJKMNPQRS")
                w.field("duplicate", false)
            }
            bytes &+= writer.bytes.count
        }
        print("JSON benchmark: \(Self.message.count)-byte message: parse \(Int(parse)) ns, serialize \(Int(serialize)) ns; "
              + "two-field response \(Int(response)) ns (\(keys & 1), \(bytes & 1))")
    }
}
