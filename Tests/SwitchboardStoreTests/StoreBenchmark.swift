import Foundation
import Synchronization
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// Throughput of the store alone: 16 producer threads, each keeping `window` single-message
/// ingests in flight (an HTTP connection waiting for its 202 is a window of 1), synchronous=FULL.
/// Skipped unless SWITCHBOARD_STORE_BENCH is set; run it in release:
///
///     SWITCHBOARD_STORE_BENCH=1 swift test -c release -Xswiftc -enable-testing \
///         --scratch-path .build-store-release --filter StoreBenchmark
///
/// SWITCHBOARD_STORE_BENCH_MESSAGES sets the total (default 200,000); SWITCHBOARD_STORE_BENCH_SYNC=NORMAL
/// measures without the per-commit fsync (the CPU cost alone).
@Suite("Store benchmark", .enabled(if: ProcessInfo.processInfo.environment["SWITCHBOARD_STORE_BENCH"] != nil),
       .serialized)
struct StoreBenchmark {
    static let total = Int(ProcessInfo.processInfo.environment["SWITCHBOARD_STORE_BENCH_MESSAGES"] ?? "") ?? 200_000
    static let synchronous = StoreOptions.Synchronous(
        rawValue: ProcessInfo.processInfo.environment["SWITCHBOARD_STORE_BENCH_SYNC"]?.uppercased() ?? "FULL") ?? .full

    /// In-flight ingests per producer; SWITCHBOARD_STORE_BENCH_WINDOWS=1,16 picks some.
    static let windows = (ProcessInfo.processInfo.environment["SWITCHBOARD_STORE_BENCH_WINDOWS"] ?? "1,4,16")
        .split(separator: ",").compactMap { Int($0) }

    @Test(arguments: windows)
    func sixteenProducers(window: Int) throws {
        let producers = 16
        let perProducer = Self.total / producers
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: StoreOptions(synchronous: Self.synchronous), logger: .silent)

        // Built before the clock starts: this measures the store, not message construction.
        let work: [[InboundMessage]] = (0..<producers).map { producer in
            (0..<perProducer).map { index in Self.message(producer: producer, index: index) }
        }
        let finished = DispatchGroup()
        let failures = Atomic<Int>(0)
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "?"
        let writtenBefore = Self.bytesWritten()
        let threadsBefore = Self.threadCPU()
        let start = DispatchTime.now().uptimeNanoseconds
        for producer in 0..<producers {
            finished.enter()
            let messages = work[producer]
            let thread = Thread {
                // Starts at 0 and is filled here: libdispatch traps when a semaphore is freed
                // below its initial value.
                let slots = DispatchSemaphore(value: 0)
                for _ in 0..<window { slots.signal() }
                for message in messages {
                    slots.wait()
                    store.ingest([message]) { results in
                        if case .failure = results[0] { failures.add(1, ordering: .relaxed) }
                        slots.signal()
                    }
                }
                for _ in 0..<window { slots.wait() }
                finished.leave()
            }
            thread.start()
        }
        finished.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let written = Self.bytesWritten() - writtenBefore
        // The thread that used the most CPU during the run is the writer.
        let writerCPU = Self.threadCPU().map { tid, seconds in seconds - (threadsBefore[tid] ?? 0) }.max() ?? 0
        let metrics = store.metrics
        let stats = try store.stats()
        store.close()

        let rate = Double(producers * perProducer) / seconds
        print(String(format: """
            store bench: 16 producers x window %d, synchronous=%@: %d messages in %.2f s = %.0f msg/s; \
            %d batches (avg %.1f), commit p50 %.2f ms p99 %.2f ms, ack p50 %.2f ms p99 %.2f ms; \
            %d contacts, %d conversations, %.1f MB, %.1f KB written per message, writer thread CPU %.1f µs per message; load average %@ at start
            """, window, Self.synchronous.rawValue, producers * perProducer, seconds, rate, metrics.batchesCommitted, metrics.averageBatchSize,
            metrics.commitLatency.p50 * 1000, metrics.commitLatency.p99 * 1000,
            metrics.acknowledgeLatency.p50 * 1000, metrics.acknowledgeLatency.p99 * 1000,
            stats.contacts, stats.conversations, Double(stats.databaseBytes) / 1e6,
            Double(written) / 1024 / Double(producers * perProducer),
            writerCPU * 1e6 / Double(producers * perProducer), String(load)))
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(stats.messages == producers * perProducer)
    }

    /// Bytes this process has passed to write(2) and friends so far (Linux /proc/self/io `wchar`).
    static func bytesWritten() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    /// CPU seconds (user + system) used so far by each thread of this process.
    static func threadCPU() -> [String: Double] {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var result: [String: Double] = [:]
        for tid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? [] {
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            result[tid] = (user + system) / ticks
        }
        return result
    }

    /// A mix like a contact centre's: 5,000 customers; email with subjects and headers, SMS, and
    /// chat sessions with thread keys; ~300 bytes of text and ~1 KiB of raw source each.
    static func message(producer: Int, index: Int) -> InboundMessage {
        let customer = (producer &* 7919 &+ index &* 104_729) % 5_000
        let text = "Hello, my card was charged twice for invoice \(index). Could you please refund one of the two " +
            "payments? I have attached nothing but I can send the bank statement if needed. Order \(producer)-\(index). " +
            "Thank you very much for your help, kind regards from a long-standing customer of yours."
        let raw = Array((text + String(repeating: " header: value\r\n", count: 45)).utf8)
        switch index % 3 {
        case 0:
            return InboundMessage(channel: .email, adapterID: "mail", externalID: "1700000000:\(producer)-\(index)",
                                  sender: Identity(kind: .email, value: "customer\(customer)@example.com"),
                                  senderName: "Customer \(customer)", recipient: "support@example.com",
                                  subject: "Invoice \(index)", text: text, threadKey: "<\(producer)-\(index)@mail.example>",
                                  replyTo: index % 2 == 0 ? [] : ["<\(producer)-\(index - 3)@mail.example>"],
                                  metadata: ["Message-ID": "<\(producer)-\(index)@mail.example>", "X-Mailer": "bench"],
                                  raw: raw)
        case 1:
            return InboundMessage(channel: .sms, adapterID: "twilio", externalID: "SM\(producer)x\(index)",
                                  sender: Identity(kind: .phone, value: "+4915100\(String(format: "%05d", customer))"),
                                  text: String(text.prefix(160)), raw: Array(raw.prefix(400)))
        default:
            return InboundMessage(channel: .chat, adapterID: "chat", externalID: "chat-\(producer)-\(index)",
                                  sender: Identity(kind: .chat, value: "visitor-\(customer)"),
                                  text: String(text.prefix(120)), threadKey: "session-\(customer)",
                                  contactAttributes: ["language": "en"], raw: Array(raw.prefix(300)))
        }
    }
}
