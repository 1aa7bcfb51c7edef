import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite("Identity → contact")
struct ContactTests {
    @Test func aKnownIdentityAttachesToItsContactWhateverTheChannel() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let ana = Identity(kind: .email, value: "ana@example.com")
        let byEmail = try await store.ingest(makeMessage("e-1", channel: .email, adapter: "mail", from: ana))
        let byChat = try await store.ingest(makeMessage("c-1", channel: .chat, adapter: "chat", from: ana))
        #expect(byEmail.contactID == byChat.contactID)

        let bob = try await store.ingest(makeMessage("e-2", from: Identity(kind: .email, value: "bob@example.com")))
        let phone = try await store.ingest(makeMessage("s-1", channel: .sms, adapter: "sms",
                                                       from: Identity(kind: .phone, value: "+4915112345678")))
        #expect(Set([byEmail.contactID, bob.contactID, phone.contactID]).count == 3)
        #expect(try store.stats().contacts == 3)
        #expect(try store.contact(id: byEmail.contactID)?.identities == [ana])
    }

    @Test func identitiesOfDifferentKindsWithTheSameValueAreDifferentContacts() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let a = try await store.ingest(makeMessage("1", from: Identity(kind: .chat, value: "visitor-1")))
        let b = try await store.ingest(makeMessage("2", from: Identity(kind: .external, value: "visitor-1")))
        #expect(a.contactID != b.contactID)
    }

    @Test func displayNameIsSetOnceAndAttributesMerge() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.storePath
        var store = try Store(path: path, options: .testing(), logger: .silent)
        let first = try await store.ingest(makeMessage("1", attributes: ["tier": "silver", "lang": "en"]))
        #expect(try store.contact(id: first.contactID)?.displayName == nil)
        _ = try await store.ingest(makeMessage("2", name: "Ana Silva", attributes: ["tier": "gold"]))
        _ = try await store.ingest(makeMessage("3", name: "Someone Else", attributes: ["account": "A-5531"]))
        var contact = try #require(try store.contact(id: first.contactID))
        #expect(contact.displayName == "Ana Silva")
        #expect(contact.attributes == ["tier": "gold", "lang": "en", "account": "A-5531"])

        // After a restart the writer's cache is cold: the same rules hold from the database.
        store.close()
        store = try Store(path: path, options: .testing(), logger: .silent)
        defer { store.close() }
        _ = try await store.ingest(makeMessage("4", name: "Third Name", attributes: ["lang": "pt"]))
        contact = try #require(try store.contact(id: first.contactID))
        #expect(contact.displayName == "Ana Silva")
        #expect(contact.attributes == ["tier": "gold", "lang": "pt", "account": "A-5531"])
    }
}

@Suite("Conversations")
struct ConversationTests {
    let ana = Identity(kind: .email, value: "ana@example.com")

    @Test func aCustomerMovingFromChatToEmailWithinTheWindowKeepsTheConversation() async throws {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try Store(path: dir.storePath, options: .testing(clock: clock), logger: .silent)
        defer { store.close() }
        let chat = try await store.ingest(makeMessage("c-1", channel: .chat, adapter: "chat", from: ana, threadKey: "session-1"))
        clock.advance(by: 23 * 3600)
        let mail = try await store.ingest(makeMessage("e-1", channel: .email, adapter: "mail", from: ana))
        #expect(mail.conversationID == chat.conversationID)
        #expect(try string(dir.storePath, "SELECT channel FROM conversations WHERE id = '\(chat.conversationID)'") == "email")
        #expect(try scalar(dir.storePath, "SELECT last_message_at FROM conversations WHERE id = '\(chat.conversationID)'")
                == clock.now.storeMilliseconds)
    }

    @Test func afterTheWindowANewConversationStarts() async throws {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        var options = StoreOptions.testing(clock: clock)
        options.continuationWindow = 3600
        let store = try Store(path: dir.storePath, options: options, logger: .silent)
        defer { store.close() }
        let first = try await store.ingest(makeMessage("1", from: ana))
        clock.advance(by: 3599)
        let second = try await store.ingest(makeMessage("2", from: ana))
        clock.advance(by: 3601)  // measured from the last message, not the first
        let third = try await store.ingest(makeMessage("3", from: ana))
        #expect(second.conversationID == first.conversationID)
        #expect(third.conversationID != first.conversationID)
        #expect(try store.stats().conversations == 2)
    }

    @Test func theWindowAlsoHoldsAfterARestart() async throws {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        var store = try Store(path: dir.storePath, options: .testing(clock: clock), logger: .silent)
        let first = try await store.ingest(makeMessage("1", from: ana))
        store.close()
        clock.advance(by: 3600)
        store = try Store(path: dir.storePath, options: .testing(clock: clock), logger: .silent)
        let second = try await store.ingest(makeMessage("2", from: ana))
        store.close()
        clock.advance(by: 25 * 3600)
        store = try Store(path: dir.storePath, options: .testing(clock: clock), logger: .silent)
        defer { store.close() }
        let third = try await store.ingest(makeMessage("3", from: ana))
        #expect(second.conversationID == first.conversationID)
        #expect(third.conversationID != first.conversationID)
    }

    @Test func threadKeysJoinAConversationWhateverTheSenderAndAge() async throws {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try Store(path: dir.storePath, options: .testing(clock: clock), logger: .silent)
        defer { store.close() }
        let root = try await store.ingest(makeMessage("1", from: ana, threadKey: "<root@x>"))
        // A colleague answers the thread by References: same conversation, their own contact.
        let colleague = try await store.ingest(makeMessage("2", from: Identity(kind: .email, value: "cc@example.com"),
                                                           threadKey: "<reply@x>", replyTo: ["<unknown@x>", "<root@x>"]))
        #expect(colleague.conversationID == root.conversationID)
        #expect(colleague.contactID != root.contactID)
        // The reply's own thread key was recorded: a later message naming it joins too.
        clock.advance(by: 30 * 24 * 3600)
        let late = try await store.ingest(makeMessage("3", from: ana, replyTo: ["<reply@x>"]))
        #expect(late.conversationID == root.conversationID)
        // The same key on another channel is another thread.
        let sms = try await store.ingest(makeMessage("4", channel: .sms, adapter: "sms",
                                                     from: Identity(kind: .phone, value: "+4915112345678"), threadKey: "<root@x>"))
        #expect(sms.conversationID != root.conversationID)
    }

    @Test func aResolvedConversationIsNotContinuedButItsThreadReopensIt() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let first = try await store.ingest(makeMessage("1", from: ana, threadKey: "case-1"))
        #expect(try await store.resolveConversation(id: first.conversationID))
        #expect(try await store.resolveConversation(id: "cv_missing") == false)
        #expect(try string(dir.storePath, "SELECT status FROM conversations WHERE id = '\(first.conversationID)'") == "resolved")

        let fresh = try await store.ingest(makeMessage("2", from: ana))
        #expect(fresh.conversationID != first.conversationID)
        let reply = try await store.ingest(makeMessage("3", from: ana, threadKey: "case-1"))
        #expect(reply.conversationID == first.conversationID)
        #expect(try string(dir.storePath, "SELECT status FROM conversations WHERE id = '\(first.conversationID)'") == "open")
        // Reopened by the reply, it is now the contact's most recent open conversation.
        let next = try await store.ingest(makeMessage("4", from: ana))
        #expect(next.conversationID == first.conversationID)
    }

    @Test func resolvingInTheSameBatchAsAMessageIsAppliedInQueueOrder() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let first = try awaitIngest(store, makeMessage("1", from: ana))
        let gate = WriterGate()
        gate.hold(store)
        let done = Completions<Bool>()
        done.expect(3)
        store.ingest([makeMessage("2", from: ana)]) { done.record((try? $0[0].get().conversationID) == first.conversationID) }
        store.resolveConversation(id: first.conversationID) { done.record((try? $0.get()) == true) }
        store.ingest([makeMessage("3", from: ana)]) { done.record((try? $0[0].get().conversationID) != first.conversationID) }
        gate.release()
        #expect(done.wait() == [true, true, true])
        #expect(try string(dir.storePath, "SELECT status FROM conversations WHERE id = '\(first.conversationID)'") == "resolved")
    }
}

/// Synchronous ingest for tests that run without async.
func awaitIngest(_ store: Store, _ message: InboundMessage) throws -> IngestOutcome {
    let done = Completions<Result<IngestOutcome, StoreError>>()
    done.expect(1)
    store.ingest([message]) { done.record($0[0]) }
    return try done.wait()[0].get()
}
