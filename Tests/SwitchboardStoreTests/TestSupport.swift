import Foundation
import Synchronization
import SwitchboardCore
@testable import SwitchboardStore

/// A directory under /tmp removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "switchboard-store-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A store path one level down, so that `Store` has a directory to create.
    var storePath: String { path + "/state/store.db" }
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

extension StoreOptions {
    static func testing(clock: ManualClock? = nil, synchronous: Synchronous = .full) -> StoreOptions {
        var options = StoreOptions(synchronous: synchronous)
        if let clock { options.now = { clock.now } }
        return options
    }
}

func makeMessage(_ externalID: String, channel: Channel = .email, adapter: String = "support-mail",
                 from sender: Identity = Identity(kind: .email, value: "ana@example.com"),
                 name: String? = nil, text: String = "Hello", threadKey: String? = nil, replyTo: [String] = [],
                 attributes: [String: String] = [:], raw: [UInt8] = Array("raw".utf8)) -> InboundMessage {
    InboundMessage(channel: channel, adapterID: adapter, externalID: externalID, sender: sender, senderName: name,
                   text: text, threadKey: threadKey, replyTo: replyTo, contactAttributes: attributes, raw: raw)
}

/// Opens a raw connection to a store file, for checks the public API does not offer.
func rawDatabase(_ path: String) throws -> Database {
    try Database(path: path, access: .readWrite)
}

func scalar(_ path: String, _ sql: String) throws -> Int64 {
    let db = try rawDatabase(path)
    let statement = try db.prepare(sql, purpose: "test query")
    return try statement.queryOne { $0.int64(at: 0) ?? 0 } ?? 0
}

func string(_ path: String, _ sql: String) throws -> String? {
    let db = try rawDatabase(path)
    let statement = try db.prepare(sql, purpose: "test query")
    return try statement.queryOne { $0.string(at: 0) } ?? nil
}

/// Blocks the writer thread inside a completion until `release()`: everything queued meanwhile is
/// taken as one batch when it resumes.
final class WriterGate: Sendable {
    private let entered = DispatchSemaphore(value: 0)
    private let store = Mutex<Store?>(nil)

    /// Stores a message, waits for its answer, then keeps the writer from taking anything new
    /// until `release()`: what is queued meanwhile is all there when the writer next looks.
    func hold(_ store: Store, externalID: String = "gate") {
        store.ingest([makeMessage(externalID, adapter: "gate")]) { [entered] _ in entered.signal() }
        entered.wait()
        store.queue.pause()
        self.store.withLock { $0 = store }
    }

    func release() { store.withLock { $0 }?.queue.resume() }
}

/// Counts down completions and lets a test wait for all of them.
final class Completions<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    private let group = DispatchGroup()

    func expect(_ count: Int) { for _ in 0..<count { group.enter() } }

    func record(_ value: Value) {
        values.withLock { $0.append(value) }
        group.leave()
    }

    func wait() -> [Value] {
        group.wait()
        return values.withLock { $0 }
    }

    var received: [Value] { values.withLock { $0 } }
}
