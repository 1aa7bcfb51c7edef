import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite("Migrations")
struct MigrationTests {
    @Test func freshDatabaseGetsTheLatestSchema() throws {
        let dir = try TemporaryDirectory()
        let log = InMemoryLogHandler()
        let store = try Store(path: dir.storePath, options: .testing(), logger: Logger(label: "store", handler: log))
        store.close()

        #expect(try scalar(dir.storePath, "PRAGMA user_version") == Int64(Schema.migrator.latestVersion))
        #expect(try string(dir.storePath, "PRAGMA journal_mode") == "wal")
        for table in ["contacts", "identities", "conversations", "conversation_keys", "messages", "quarantine", "checkpoints", "counters"] {
            #expect(try scalar(dir.storePath, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '\(table)'") == 1)
        }
        #expect(log.records.contains { $0.message == "applied store migration" && $0.fields["name"] == "initial schema" })
    }

    @Test func reopeningIsANoOpAndKeepsData() async throws {
        let dir = try TemporaryDirectory()
        let first = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        let outcome = try await first.ingest(makeMessage("m-1"))
        first.close()

        let log = InMemoryLogHandler()
        let second = try Store(path: dir.storePath, options: .testing(), logger: Logger(label: "store", handler: log))
        #expect(!log.records.contains { $0.message == "applied store migration" })
        #expect(try second.message(id: outcome.messageID) != nil)
        #expect(try scalar(dir.storePath, "PRAGMA user_version") == Int64(Schema.migrator.latestVersion))
        second.close()
    }

    @Test func databaseFromANewerVersionIsRefused() throws {
        let dir = try TemporaryDirectory()
        try Store(path: dir.storePath, options: .testing(), logger: .silent).close()
        try rawDatabase(dir.storePath).execute("PRAGMA user_version = 99", purpose: "test: pretend a newer schema")

        let error = #expect(throws: StoreError.self) {
            try Store(path: dir.storePath, options: .testing(), logger: .silent)
        }
        #expect(error?.code == .databaseTooNew)
        #expect(error?.description.contains("99") == true)
        #expect(error?.hint != nil)
        // Refused, not touched.
        #expect(try scalar(dir.storePath, "PRAGMA user_version") == 99)
    }

    @Test func migrationsRunInOrderAndAFailingStepRollsBackEverything() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/m.db"
        let good = Migrator(migrations: [
            Migration(name: "one") { db throws(StoreError) in try db.execute("CREATE TABLE a (x)", purpose: "a") },
            Migration(name: "two") { db throws(StoreError) in try db.execute("CREATE TABLE b (x)", purpose: "b") },
        ])
        let db = try Database(path: path, access: .readWrite)
        #expect(try good.migrate(db, logger: .silent) == (0, 2))
        #expect(try good.migrate(db, logger: .silent) == (2, 2))

        let bad = Migrator(migrations: good.migrations + [
            Migration(name: "three") { db throws(StoreError) in try db.execute("CREATE TABLE c (x)", purpose: "c") },
            Migration(name: "broken") { db throws(StoreError) in try db.execute("CREATE TABLE a (x)", purpose: "a again") },
        ])
        let error = #expect(throws: StoreError.self) { try bad.migrate(db, logger: .silent) }
        #expect(error?.purpose.contains("migration 4 (broken)") == true)
        #expect(try db.integerPragma("user_version") == 2)
        #expect(try db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'c'", purpose: "t").queryOne { $0.int64(at: 0) } == 0)
    }

    @Test func aNewDatabaseGetsThePageSizeAndAnExistingOneKeepsItsOwn() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        _ = try await store.ingest(makeMessage("m1"))
        store.close()
        #expect(try scalar(dir.storePath, "PRAGMA page_size") == 2048)

        // A database made with 4,096-byte pages (an earlier version) opens, keeps them, and takes writes.
        let older = dir.path + "/older/store.db"
        try FileManager.default.createDirectory(atPath: dir.path + "/older", withIntermediateDirectories: true)
        let raw = try Database(path: older, access: .readWrite)
        try raw.execute("PRAGMA page_size = 4096; CREATE TABLE placeholder (x); DROP TABLE placeholder;", purpose: "make a 4 KiB database")
        var options = StoreOptions.testing()
        options.pageSize = 2048
        let reopened = try Store(path: older, options: options, logger: .silent)
        _ = try await reopened.ingest(makeMessage("m2"))
        reopened.close()
        #expect(try scalar(older, "PRAGMA page_size") == 4096)
        #expect(try scalar(older, "SELECT count(*) FROM messages") == 1)
    }
}
