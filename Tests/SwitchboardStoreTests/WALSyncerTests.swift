import Foundation
import Synchronization
import Testing
import SwitchboardCore
@testable import SwitchboardStore
#if canImport(Glibc)
import Glibc
#endif

/// The syncer that makes `synchronous=FULL` commits durable off the writer thread: answers only
/// after a sync that started after their COMMIT, in commit order; a failed sync fails everything
/// from then on.
@Suite("WAL syncer")
struct WALSyncerTests {
    /// A stand-in for fdatasync: counts calls, can be held shut, can fail with EIO.
    final class FakeSync: Sendable {
        private let state = Mutex((calls: 0, fail: false))
        private let gate = DispatchSemaphore(value: 0)
        private let held = Mutex(false)
        private let entered = DispatchSemaphore(value: 0)

        var calls: Int { state.withLock { $0.calls } }
        func failFromNowOn() { state.withLock { $0.fail = true } }
        func hold() { held.withLock { $0 = true } }
        /// Waits until a held sync has started.
        func waitUntilSyncing() { entered.wait() }
        func release() {
            held.withLock { $0 = false }
            gate.signal()
        }

        func sync(_ fd: Int32) -> Int32 {
            let fail = state.withLock { s -> Bool in s.calls += 1; return s.fail }
            if held.withLock({ $0 }) {
                entered.signal()
                gate.wait()
            }
            if fail { errno = EIO; return -1 }
            return 0
        }
    }

    final class Log: Sendable {
        private let entries = Mutex<[String]>([])
        private let group = DispatchGroup()
        func expect(_ n: Int) { for _ in 0..<n { group.enter() } }
        func add(_ entry: String) { entries.withLock { $0.append(entry) }; group.leave() }
        func wait() -> [String] { group.wait(); return entries.withLock { $0 } }
        var current: [String] { entries.withLock { $0 } }
    }

    /// A syncer on a fresh store path whose syncs are `fake`'s.
    private func makeSyncer(_ fake: FakeSync, in dir: TemporaryDirectory,
                            onSynced: @escaping @Sendable () -> Void = {}) throws -> (WALSyncer, path: String) {
        let path = dir.path + "/store.db-wal"
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let syncer = try WALSyncer(walPath: path, logger: .silent, threads: StoreThreads(),
                                   sync: { fake.sync($0) }, onSynced: onSynced)
        return (syncer, path)
    }

    /// Commits `first`, holds its sync, then commits `then` while it runs.
    private func commitDuringASync(_ syncer: WALSyncer, _ fake: FakeSync, _ log: Log, first: String, then: [String]) {
        fake.hold()
        syncer.committed(delivery(first, log))
        fake.waitUntilSyncing()
        for name in then { syncer.committed(delivery(name, log)) }
    }

    private func delivery(_ name: String, _ log: Log) -> WALSyncer.Delivery {
        WALSyncer.Delivery(succeed: { log.add("\(name) ok") }, fail: { log.add("\(name) failed: \($0.code)") })
    }

    @Test func answersWaitForASyncThatStartedAfterTheirCommitAndComeInOrder() throws {
        let dir = try TemporaryDirectory()
        let fake = FakeSync()
        let synced = Mutex(0)
        let (syncer, _) = try makeSyncer(fake, in: dir, onSynced: { synced.withLock { $0 += 1 } })
        #expect(fake.calls == 1)   // what the migrations wrote, before anything is answered

        let log = Log()
        log.expect(3)
        // Second and third are committed while the first batch's sync runs: they need a sync of their own.
        commitDuringASync(syncer, fake, log, first: "first", then: ["second", "third"])
        #expect(syncer.isBusy)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(log.current.isEmpty)

        fake.release()
        #expect(log.wait() == ["first ok", "second ok", "third ok"])
        #expect(fake.calls == 3)   // the first sync, then one for the two that waited
        #expect(synced.withLock { $0 } == 2)
        syncer.stop()
        #expect(!syncer.isBusy)
    }

    @Test func aFailedSyncFailsItsBatchAndEveryLaterOne() throws {
        let dir = try TemporaryDirectory()
        let fake = FakeSync()
        let (syncer, _) = try makeSyncer(fake, in: dir)
        defer { syncer.stop() }
        let log = Log()
        log.expect(1)
        syncer.committed(delivery("before", log))
        #expect(log.wait() == ["before ok"])

        fake.failFromNowOn()
        log.expect(1)
        syncer.committed(delivery("during", log))
        #expect(log.wait() == ["before ok", "during failed: filesystem"])
        #expect(syncer.failure?.code == .filesystem)
        #expect(syncer.failure?.hint?.contains("restart") == true)

        // Even if the disk says yes again, what it holds is unknown: nothing more is acknowledged.
        let calls = fake.calls
        log.expect(1)
        syncer.committed(delivery("after", log))
        #expect(log.wait().last == "after failed: filesystem")
        #expect(fake.calls == calls)
    }

    @Test func stopSyncsAndAnswersWhatWasCommitted() throws {
        let dir = try TemporaryDirectory()
        let fake = FakeSync()
        let (syncer, _) = try makeSyncer(fake, in: dir)
        let log = Log()
        log.expect(2)
        commitDuringASync(syncer, fake, log, first: "a", then: ["b"])
        fake.release()
        syncer.stop()
        #expect(log.wait() == ["a ok", "b ok"])
    }

    /// Stopping twice (the store's close after a failed start, then its deinit) closes the log's
    /// descriptor once: the second call must not close whatever was opened under that number since.
    @Test func aSecondStopLeavesADescriptorOpenedSinceAlone() throws {
        let dir = try TemporaryDirectory()
        let fake = FakeSync()
        let (syncer, path) = try makeSyncer(fake, in: dir)
        syncer.stop()
        // The lowest free number: the log's, just closed, unless another test's thread took it.
        let other = open(path, O_RDONLY | O_CLOEXEC)
        #expect(other >= 0)
        defer { close(other) }
        syncer.stop()
        #expect(fcntl(other, F_GETFD) >= 0)
        var byte: UInt8 = 0
        #expect(read(other, &byte, 0) == 0)   // still readable: not closed by the second stop
    }

    @Test func aLogThatIsNotThereIsAnErrorNotAFileMadeUp() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.path + "/nothing.db-wal"
        #expect(throws: StoreError.self) {
            _ = try WALSyncer(walPath: missing, logger: .silent, threads: StoreThreads(), onSynced: {})
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    /// A store whose database path is a symbolic link: SQLite keeps the log next to the file the
    /// link points to, and that is the one synced (no stray log next to the link).
    @Test func theLogSyncedIsTheOneSQLiteWritesEvenBehindASymlink() async throws {
        let dir = try TemporaryDirectory()
        let real = dir.path + "/real"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        let store1 = try Store(path: real + "/store.db", options: .testing(synchronous: .full), logger: .silent)
        store1.close()
        let link = dir.path + "/linked.db"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real + "/store.db")
        let store = try Store(path: link, options: .testing(synchronous: .full), logger: .silent)
        defer { store.close() }
        let outcome = try await store.ingest(makeMessage("behind-a-link"))
        #expect(try store.message(id: outcome.messageID) != nil)
        #expect(FileManager.default.fileExists(atPath: real + "/store.db-wal"))
        #expect(!FileManager.default.fileExists(atPath: link + "-wal"))
    }

    /// A store with `synchronous=FULL` in `dir` whose log syncs are `fake`'s.
    private func makeStore(_ fake: FakeSync, in dir: TemporaryDirectory) throws -> Store {
        var options = StoreOptions.testing(synchronous: .full)
        options.syncLog = { fake.sync($0) }
        return try Store(path: dir.storePath, options: options, logger: .silent)
    }

    /// A disk that stops syncing, through the whole store: the write whose sync failed is answered
    /// with the error, every later one too (without being run), and the store says why.
    @Test func aStoreWhoseDiskFailsASyncRefusesEveryWriteFromThenOn() async throws {
        let dir = try TemporaryDirectory()
        let fake = FakeSync()
        let store = try makeStore(fake, in: dir)
        defer { store.close() }
        let first = try await store.ingest(makeMessage("before"))
        #expect(store.writeFailure == nil)

        fake.failFromNowOn()
        await #expect(throws: StoreError.self) { _ = try await store.ingest(makeMessage("during")) }
        #expect(store.writeFailure?.code == .filesystem)
        let syncs = fake.calls
        await #expect(throws: StoreError.self) { _ = try await store.ingest(makeMessage("after")) }
        #expect(fake.calls == syncs)   // refused without being written or synced
        #expect(try store.message(id: first.messageID) != nil)
        #expect(try store.stats().messages == 2)   // "during" was committed before its sync failed; "after" never
    }

    /// Through the whole store: a write's answer waits for the sync of the log after its COMMIT
    /// (the row is already visible to readers meanwhile), and comes once the disk says yes.
    @Test func aStoreWithFullSyncAnswersOnlyAfterTheLogIsSynced() throws {
        let dir = try TemporaryDirectory()
        let fake = FakeSync()
        let store = try makeStore(fake, in: dir)
        defer { store.close() }

        let answered = Completions<Result<IngestOutcome, StoreError>>()
        answered.expect(1)
        fake.hold()
        store.ingest([makeMessage("synced-1")]) { answered.record($0[0]) }
        fake.waitUntilSyncing()
        Thread.sleep(forTimeInterval: 0.05)
        #expect(answered.received.isEmpty)
        #expect(try store.stats().messages == 1)   // committed, not yet acknowledged

        fake.release()
        let outcome = try #require(answered.wait().first).get()
        #expect(try store.message(id: outcome.messageID) != nil)
    }
}

/// The WAL shim (CSQLite/shim.h) holds a transaction's log writes until its commit frame is in.
/// When a transaction writes a page twice (after a cache spill), SQLite rewrites its frames'
/// checksums at COMMIT, the commit frame's header last, with no page write after it: that header
/// must reach the file before anyone is told the commit happened (`Database.flushHeldLog`).
@Suite("WAL shim")
struct WALShimTests {
    /// The files as a crash would leave them right now (the process's memory gone), opened anew:
    /// how many rows of `t` recovery finds.
    private func rowsAfterACrash(_ path: String, _ dir: TemporaryDirectory, _ name: String) throws -> Int64 {
        let copy = dir.path + "/\(name).db"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy + "-wal")
        let db = try Database(path: copy, access: .readWrite)
        return try db.prepare("SELECT count(*) FROM t", purpose: "count").queryOne { $0.int64(at: 0) ?? 0 } ?? 0
    }

    private func spillAndRewrite(_ db: Database, rows: Int) throws {
        try db.execute("BEGIN IMMEDIATE", purpose: "begin")
        let insert = try db.prepare("INSERT INTO t (id, body) VALUES (?1, ?2)", purpose: "insert")
        for index in 0..<rows {
            try insert.bind(Int64(index), at: 1)
            try insert.bind(String(repeating: "x", count: 900), at: 2)
            try insert.run()
        }
        // Pages spilled to the log earlier in this transaction are written again.
        try db.execute("UPDATE t SET body = 'changed' WHERE id < 50", purpose: "rewrite")
        try db.execute("COMMIT", purpose: "commit")
    }

    @Test func aCommitThatRewroteItsFramesIsInTheFileOnceFlushed() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shim.db"
        let db = try Database.openWriter(path: path, options: StoreOptions(synchronous: .normal))
        try db.execute("PRAGMA cache_size = 20; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)",
                       purpose: "set up")
        try spillAndRewrite(db, rows: 400)
        try db.flushHeldLog(purpose: "flush")
        #expect(try rowsAfterACrash(path, dir, "flushed") == 400)
    }
}
