import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite("Ingest and read back")
struct IngestTests {
    @Test func everyFieldRoundTrips() async throws {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try Store(path: dir.storePath, options: .testing(clock: clock), logger: .silent)
        defer { store.close() }

        var raw = [UInt8](0...255)
        raw += [0, 0, 0xFF]
        let original = InboundMessage(
            channel: .email, adapterID: "support-mail", externalID: "1700000000:42",
            sender: Identity(kind: .email, value: "ana.silva@example.com"), senderName: "Ana Silva",
            recipient: "support@example.com", subject: "Invoice 4411 \"charged\" twice",
            text: "Line one\nLine two\ttabbed \\ backslash, nul \u{0}, bell \u{7}, emoji 🧾, ü",
            html: "<p>Line one</p>",
            attachments: [
                SwitchboardCore.Attachment(name: "invoice.pdf", contentType: "application/pdf", size: 48_213,
                           sha256: String(repeating: "ab", count: 32)),
                SwitchboardCore.Attachment(contentType: "image/png", size: 0, url: "https://media.example/1.png?a=1&b=\"2\""),
            ],
            sentAt: Date(timeIntervalSince1970: 1_789_999_000.123),
            threadKey: "<root@mail.example>", replyTo: ["<root@mail.example>", "<mid@mail.example>"],
            contactAttributes: ["tier": "gold", "lang": "pt\"BR"],
            metadata: ["X-Mailer": "Thunder\\bird", "Received": "from a\r\nby b", "empty": ""],
            raw: raw)

        let outcome = try await store.ingest(original)
        #expect(!outcome.duplicate)
        #expect(SortableID.isWellFormed(outcome.messageID, prefix: "msg"))
        #expect(SortableID.isWellFormed(outcome.contactID, prefix: "ct"))
        #expect(SortableID.isWellFormed(outcome.conversationID, prefix: "cv"))

        let stored = try #require(try store.message(id: outcome.messageID))
        #expect(stored == StoredMessage(id: outcome.messageID, contactID: outcome.contactID,
                                        conversationID: outcome.conversationID, direction: .inbound,
                                        receivedAt: Date(storeMilliseconds: clock.now.storeMilliseconds),
                                        message: original))
        #expect(stored.message.raw == raw)
        #expect(stored.message.attachments == original.attachments)

        let contact = try #require(try store.contact(id: outcome.contactID))
        #expect(contact.displayName == "Ana Silva")
        #expect(contact.identities == [Identity(kind: .email, value: "ana.silva@example.com")])
        #expect(contact.attributes == ["tier": "gold", "lang": "pt\"BR"])
        #expect(contact.createdAt == Date(storeMilliseconds: clock.now.storeMilliseconds))

        #expect(try store.recentMessages(contactID: outcome.contactID, limit: 10).map(\.id) == [outcome.messageID])
        #expect(try store.messages(conversationID: outcome.conversationID).map(\.id) == [outcome.messageID])
        #expect(try store.message(id: "msg_nope") == nil)
        #expect(try store.contact(id: "ct_nope") == nil)

        let stats = try store.stats()
        #expect(stats.messages == 1 && stats.contacts == 1 && stats.conversations == 1 && stats.quarantined == 0)
        #expect(stats.databaseBytes > 0)
    }

    @Test func emptyAndNilFieldsStayEmptyAndNil() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let original = InboundMessage(channel: .sms, adapterID: "twilio", externalID: "SM1",
                                      sender: Identity(kind: .phone, value: "+4915112345678"), text: "", raw: [])
        let outcome = try await store.ingest(original)
        let stored = try #require(try store.message(id: outcome.messageID))
        #expect(stored.message == original)
        #expect(stored.message.senderName == nil && stored.message.sentAt == nil && stored.message.threadKey == nil)
        #expect(try store.contact(id: outcome.contactID)?.displayName == nil)
    }

    @Test func recentMessagesAreNewestFirstAcrossChannelsAndConversationsOldestFirst() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        var ids: [String] = []
        for (index, channel) in [Channel.chat, .email, .web].enumerated() {
            ids.append(try await store.ingest(makeMessage("m-\(index)", channel: channel)).messageID)
        }
        let contactID = try #require(try store.message(id: ids[0])?.contactID)
        #expect(try store.recentMessages(contactID: contactID, limit: 2).map(\.id) == [ids[2], ids[1]])
        let conversationID = try #require(try store.message(id: ids[0])?.conversationID)
        #expect(try store.messages(conversationID: conversationID).map(\.id) == ids)
    }

    @Test func asyncReadHelperRunsReadsOffTheConcurrencyPool() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let outcome = try await store.ingest(makeMessage("m-1"))
        let text = try await store.read { try $0.message(id: outcome.messageID)?.message.text }
        #expect(text == "Hello")
    }
}

@Suite("Dedupe")
struct DedupeTests {
    @Test func aSecondCopyAnswersTheOriginalIdsAndChangesNothing() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let first = try await store.ingest(makeMessage("SM100", text: "first", attributes: ["tier": "gold"]))
        let again = try await store.ingest(makeMessage("SM100", name: "Somebody", text: "changed", attributes: ["tier": "bronze"]))

        #expect(again == IngestOutcome(messageID: first.messageID, contactID: first.contactID,
                                       conversationID: first.conversationID, duplicate: true))
        #expect(try store.message(id: first.messageID)?.message.text == "first")
        let contact = try #require(try store.contact(id: first.contactID))
        #expect(contact.attributes == ["tier": "gold"])
        #expect(contact.displayName == nil)
        #expect(try store.stats().messages == 1)
        #expect(store.metrics.duplicates == 1)
    }

    @Test func twoCopiesInTheSameBatchStoreOne() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let results = await store.ingest([makeMessage("dup", text: "a"), makeMessage("other"), makeMessage("dup", text: "b")])
        let first = try results[0].get()
        let third = try results[2].get()
        #expect(!first.duplicate && third.duplicate)
        #expect(third.messageID == first.messageID && third.conversationID == first.conversationID)
        #expect(try store.stats().messages == 2)
    }

    @Test func copiesInConcurrentCallsOfOneBatchStoreOne() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let gate = WriterGate()
        gate.hold(store)
        let completions = Completions<IngestOutcome>()
        completions.expect(2)
        for text in ["a", "b"] {
            store.ingest([makeMessage("same", text: text)]) { completions.record(try! $0[0].get()) }
        }
        gate.release()
        let outcomes = completions.wait()
        #expect(outcomes.filter(\.duplicate).count == 1)
        #expect(Set(outcomes.map(\.messageID)).count == 1)
    }

    @Test func dedupeSurvivesReopening() async throws {
        let dir = try TemporaryDirectory()
        let first = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        let original = try await first.ingest(makeMessage("uid-7"))
        first.close()
        let second = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { second.close() }
        let again = try await second.ingest(makeMessage("uid-7"))
        #expect(again.duplicate && again.messageID == original.messageID)
        #expect(try second.stats().messages == 1)
    }

    @Test func theSameExternalIDFromAnotherAdapterIsANewMessage() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let a = try await store.ingest(makeMessage("1", adapter: "mailbox-a"))
        let b = try await store.ingest(makeMessage("1", adapter: "mailbox-b"))
        #expect(!b.duplicate && a.messageID != b.messageID)
    }
}
