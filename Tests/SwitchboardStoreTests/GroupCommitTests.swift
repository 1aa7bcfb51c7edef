import Foundation
import Synchronization
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite("Group commit")
struct GroupCommitTests {
    @Test func concurrentIngestsShareTransactions() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let count = 400
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    let sender = Identity(kind: .email, value: "user\(index % 37)@example.com")
                    _ = try? await store.ingest(makeMessage("m-\(index)", from: sender))
                }
            }
        }
        let metrics = store.metrics
        #expect(metrics.messagesCommitted == count)
        #expect(metrics.batchesCommitted < count)
        #expect(metrics.averageBatchSize > 1)
        #expect(store.pendingCount == 0)
        #expect(try store.stats().messages == count)
    }

    @Test func everythingQueuedWhileTheWriterIsBusyBecomesOneTransaction() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let gate = WriterGate()
        gate.hold(store)
        let before = store.metrics.batchesCommitted

        let done = Completions<Bool>()
        done.expect(200)
        for index in 0..<200 {
            store.ingest([makeMessage("m-\(index)")]) { done.record((try? $0[0].get()) != nil) }
        }
        #expect(store.pendingCount == 200)
        gate.release()
        #expect(done.wait().allSatisfy { $0 })

        let metrics = store.metrics
        #expect(metrics.batchesCommitted == before + 1)
        #expect(metrics.lastBatchSize == 200)
        #expect(store.pendingCount == 0)
        #expect(metrics.commitLatency.count == metrics.batchesCommitted)
        #expect(metrics.commitLatency.p99 >= metrics.commitLatency.p50 && metrics.commitLatency.p50 > 0)
        #expect(metrics.acknowledgeLatency.count == metrics.messagesCommitted)
    }

    @Test func aBatchIsCappedAtMaxBatchSize() throws {
        let dir = try TemporaryDirectory()
        var options = StoreOptions.testing()
        options.maxBatchSize = 50
        let store = try Store(path: dir.storePath, options: options, logger: .silent)
        defer { store.close() }
        let gate = WriterGate()
        gate.hold(store)
        let done = Completions<Bool>()
        done.expect(120)
        for index in 0..<120 {
            store.ingest([makeMessage("m-\(index)")]) { done.record((try? $0[0].get()) != nil) }
        }
        gate.release()
        _ = done.wait()
        #expect(store.metrics.batchesCommitted == 1 + 3)  // the gate's batch, then 50 + 50 + 20
    }

    @Test func completionsRunOnlyAfterCommit() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let gate = WriterGate()
        gate.hold(store)
        let seen = Completions<Bool>()
        seen.expect(50)
        for index in 0..<50 {
            store.ingest([makeMessage("m-\(index)")]) { results in
                // A reader connection (not the writer's) must already see the committed row.
                let id = try! results[0].get().messageID
                seen.record((try? store.message(id: id)) != nil)
            }
        }
        gate.release()
        #expect(seen.wait() == Array(repeating: true, count: 50))
    }

    @Test func closeDrainsEverythingQueued() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        let answered = Completions<Bool>()
        answered.expect(300)
        for index in 0..<300 {
            store.ingest([makeMessage("m-\(index)")]) { answered.record((try? $0[0].get()) != nil) }
        }
        store.close()
        // Every completion ran before close returned.
        #expect(answered.received.count == 300)
        #expect(answered.received.allSatisfy { $0 })

        // After close, writes and reads answer .closed.
        let late = Completions<Result<IngestOutcome, StoreError>>()
        late.expect(1)
        store.ingest([makeMessage("late")]) { late.record($0[0]) }
        #expect(throws: StoreError.self) { try late.wait()[0].get() }
        #expect((try? late.wait()[0].get()) == nil)
        #expect(throws: StoreError.self) { try store.stats() }

        let reopened = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { reopened.close() }
        #expect(try reopened.stats().messages == 300)
        // Closing folded the WAL back into the database file.
        let wal = (try? FileManager.default.attributesOfItem(atPath: dir.storePath + "-wal"))?[.size] as? Int
        #expect(wal == nil || wal == 0)
    }

    @Test func closeFromACompletionDoesNotDeadlock() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        let done = Completions<Bool>()
        done.expect(2)
        store.ingest([makeMessage("1")]) { _ in
            store.close()
            done.record(true)
        }
        store.ingest([makeMessage("2")]) { done.record((try? $0[0].get()) != nil) }
        #expect(done.wait().count == 2)
        store.close()
    }

    @Test func aFailingMessageFailsAloneAndLeavesNoTrace() throws {
        let dir = try TemporaryDirectory()
        try Store(path: dir.storePath, options: .testing(), logger: .silent).close()
        try rawDatabase(dir.storePath).execute("""
            CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.external_id LIKE 'poison%'
            BEGIN SELECT RAISE(ABORT, 'poisoned message'); END;
            """, purpose: "test: a trigger that refuses some messages")
        let log = InMemoryLogHandler()
        let store = try Store(path: dir.storePath, options: .testing(), logger: Logger(label: "store", handler: log))
        defer { store.close() }

        let ana = Identity(kind: .email, value: "ana@example.com")
        let newcomer = Identity(kind: .email, value: "new@example.com")
        let first = try awaitIngest(store, makeMessage("0", from: ana))

        let gate = WriterGate()
        gate.hold(store)
        let done = Completions<[Result<IngestOutcome, StoreError>]>()
        done.expect(2)
        // One call with a poisoned message in the middle; another call in the same batch.
        store.ingest([makeMessage("1", from: ana),
                      makeMessage("poison-1", from: newcomer, name: "New", threadKey: "t-new"),
                      makeMessage("2", from: newcomer, threadKey: "t-new"),
                      makeMessage("", from: ana)]) { done.record($0) }
        store.ingest([makeMessage("3", from: ana)]) { done.record($0) }
        gate.release()
        let results = done.wait()
        let batch = results[0]

        #expect(try batch[0].get().conversationID == first.conversationID)
        let poisoned = #expect(throws: StoreError.self) { try batch[1].get() }
        #expect(poisoned?.code == .sqlite && poisoned?.message == "poisoned message")
        #expect(poisoned?.isRetryable == false)
        // The newcomer's contact, conversation and thread key from the poisoned message were
        // rolled back; the next message creates them afresh.
        let second = try batch[2].get()
        #expect(try store.contact(id: second.contactID)?.displayName == nil)
        let invalid = #expect(throws: StoreError.self) { try batch[3].get() }
        #expect(invalid?.code == .invalidMessage)
        #expect(try results[1][0].get().conversationID == first.conversationID)

        let stats = try store.stats()
        #expect(stats.messages == 5)  // gate, 0, 1, 2, 3
        #expect(stats.contacts == 2)  // gate sender is ana too
        #expect(try scalar(dir.storePath, "SELECT count(*) FROM contacts") == 2)
        #expect(try scalar(dir.storePath, "SELECT count(*) FROM conversations") == Int64(stats.conversations))
        #expect(try scalar(dir.storePath, "SELECT count(*) FROM conversation_keys WHERE conversation_id = '\(second.conversationID)'") == 1)
        #expect(store.metrics.itemErrors == 2)
        #expect(store.metrics.batchesRetried == 1)  // first without savepoints, then with them
        #expect(log.records.contains { $0.level == .warning && $0.fields["external_id"] == "poison-1" })
        #expect(!log.records.contains { $0.fields.values.contains("Hello") })  // no bodies in logs
    }

    @Test func theWALIsCopiedBackInTheBackgroundAndStaysBounded() async throws {
        let dir = try TemporaryDirectory()
        var options = StoreOptions.testing(synchronous: .normal)
        options.logSizeLimit = 8 << 20
        let store = try Store(path: dir.storePath, options: options, logger: .silent)
        defer { store.close() }
        func size(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        var largestWAL = 0
        // 60 MB of raw bytes, seven times what the WAL holds before the writer checkpoints itself
        // (`WALCheckpointer.inlinePages`, just under `journal_size_limit`: here 8 MiB).
        for chunk in 0..<30 {
            let messages = (0..<100).map { makeMessage("m-\(chunk)-\($0)", raw: [UInt8](repeating: 7, count: 20_000)) }
            let results = await store.ingest(messages)
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            largestWAL = max(largestWAL, size(dir.storePath + "-wal"))
        }
        // Not a hard limit: what commits while a background checkpoint holds the checkpoint lock adds
        // to it (here 2 MB a batch back to back: 10.7 to 12.8 MB seen, with the whole test suite
        // running). Without the writer's own checkpoints the log would hold all 60 MB.
        #expect(largestWAL < options.logSizeLimit * 3)
        #expect(size(dir.storePath) > 20_000_000)  // pages reached the database file while the store was open
        #expect(try store.stats().messages == 3_000)
    }

    @Test func aTransactionThatFailsAsAWholeAcknowledgesNothing() throws {
        let dir = try TemporaryDirectory()
        var options = StoreOptions.testing()
        options.maxDatabaseBytes = 512 * 1024
        let store = try Store(path: dir.storePath, options: options, logger: .silent)
        defer { store.close() }
        let small = try awaitIngest(store, makeMessage("small-1"))

        let gate = WriterGate()
        gate.hold(store, externalID: "gate-2")
        let done = Completions<Result<IngestOutcome, StoreError>>()
        done.expect(8)
        let checkpoint = Completions<Result<Void, StoreError>>()
        checkpoint.expect(1)
        for index in 0..<8 {
            store.ingest([makeMessage("big-\(index)", raw: [UInt8](repeating: UInt8(index), count: 100_000))]) {
                done.record($0[0])
            }
            if index == 0 {
                store.setCheckpoint(adapterID: "imap", key: "uid", value: "9") { checkpoint.record($0) }
            }
        }
        gate.release()
        let results = done.wait()
        for result in results {
            let error = #expect(throws: StoreError.self) { try result.get() }
            #expect(error?.sqlitePrimaryCode == 13)  // SQLITE_FULL
            #expect(error?.isRetryable == true)
        }
        #expect(throws: StoreError.self) { try checkpoint.wait()[0].get() }
        #expect(try store.checkpoint(adapterID: "imap", key: "uid") == nil)
        #expect(store.metrics.batchErrors == 1)
        #expect(store.pendingCount == 0)
        #expect(try store.stats().messages == 2)

        // The store goes on: what fits is stored, and the caches did not keep rolled-back rows.
        let after = try awaitIngest(store, makeMessage("small-2", threadKey: "t"))
        #expect(after.contactID == small.contactID)
        #expect(try store.message(id: after.messageID) != nil)
    }
}
