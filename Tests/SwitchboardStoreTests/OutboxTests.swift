import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite struct OutboxTests {
    func setup() async throws -> (TemporaryDirectory, Store, IngestOutcome, ManualClock) {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try Store(path: dir.storePath, options: .testing(clock: clock), logger: Logger(label: "test", handler: SilentLogHandler()))
        let inbound = try await store.ingest(makeMessage("m-1", threadKey: "orig@customer.example"))
        return (dir, store, inbound, clock)
    }

    func request(_ conversation: String, key: String, channel: Channel = .email) -> OutboxRequest {
        let outboxID = OutboxRequest.newOutboxID()
        return OutboxRequest(message: OutboundMessage(conversationID: conversation, channel: channel, adapterID: "support-mail",
                                                      recipient: "ana@example.com", subject: "Re: Hello", text: "Answer",
                                                      author: "agent-7", inReplyTo: "msg_x"),
                             idempotencyKey: key, outboxID: outboxID, emailMessageID: "\(outboxID)@example.com",
                             emailInReplyTo: "orig@customer.example", emailReferences: ["orig@customer.example"])
    }

    @Test func enqueueIsIdempotentAndCounted() async throws {
        let (dir, store, inbound, _) = try await setup()
        defer { store.close(); _ = dir }
        let first = try await store.enqueueOutbound(request(inbound.conversationID, key: "reply:k")).get()
        let again = try await store.enqueueOutbound(request(inbound.conversationID, key: "reply:k")).get()
        #expect(!first.duplicate && again.duplicate && again.outboxID == first.outboxID && again.messageID == first.messageID)
        #expect(try store.outboxCounts() == OutboxCounts(pending: 1, dead: 0))
        let entry = try #require(try store.outboxEntry(id: first.outboxID))
        #expect(entry.state == .pending && entry.message.author == "agent-7" && entry.emailInReplyTo == "orig@customer.example")
        #expect(try store.message(id: first.messageID)?.direction == .outbound)
        let missing = try await store.enqueueOutbound(request("cv_01JD3Z8Q4X0000000000000000", key: "reply:k"))
        #expect(missing == .failure(.noConversation("cv_01JD3Z8Q4X0000000000000000")))
        // The customer's answer to our Message-ID joins the conversation.
        let answer = try await store.ingest(makeMessage("m-2", from: Identity(kind: .email, value: "other@example.net"),
                                                        replyTo: [entry.emailMessageID!]))
        #expect(answer.conversationID == inbound.conversationID)
    }

    @Test func attemptsReceiptsAndRequeue() async throws {
        let (dir, store, inbound, clock) = try await setup()
        defer { store.close(); _ = dir }
        let a = try await store.enqueueOutbound(request(inbound.conversationID, key: "a")).get()
        let b = try await store.enqueueOutbound(request(inbound.conversationID, key: "b", channel: .sms)).get()
        #expect(try store.dueOutbox(now: clock.now).map(\.id) == [a.outboxID, b.outboxID])

        #expect(try await store.recordOutboxAttempt(id: a.outboxID, result: .retry(nextAttemptAt: clock.now.addingTimeInterval(60), error: "451")) == .pending)
        #expect(try store.dueOutbox(now: clock.now).map(\.id) == [b.outboxID])
        #expect(try store.nextOutboxDue(after: clock.now) == Date(storeMilliseconds: clock.now.addingTimeInterval(60).storeMilliseconds))
        #expect(try await store.recordOutboxAttempt(id: a.outboxID, result: .dead(error: "550 no such user")) == .dead)
        #expect(try await store.recordOutboxAttempt(id: a.outboxID, result: .sent(providerID: nil)) == nil)
        #expect(try store.outboxCounts() == OutboxCounts(pending: 1, dead: 1))
        #expect(try store.outboxEntries(state: .dead).map(\.id) == [a.outboxID])
        #expect(try store.outboxEntry(id: a.outboxID)?.attempts == 2)

        #expect(try await store.requeueOutbox(id: a.outboxID))
        #expect(!(try await store.requeueOutbox(id: a.outboxID)))
        #expect(try store.outboxCounts() == OutboxCounts(pending: 2, dead: 0))
        #expect(try store.outboxEntry(id: a.outboxID)?.attempts == 0)

        #expect(try await store.recordOutboxAttempt(id: b.outboxID, result: .sent(providerID: "SM1")) == .sent)
        let receipt = OutboxReceipt(adapterID: "support-mail", providerID: "SM1", outcome: .delivered)
        #expect(try await store.applyOutboxReceipt(receipt) == .applied(outboxID: b.outboxID))
        #expect(try await store.applyOutboxReceipt(receipt) == .ignored)
        // Another adapter has no row with that id (yet): kept, in case its send is still being recorded.
        #expect(try await store.applyOutboxReceipt(OutboxReceipt(adapterID: "other", providerID: "SM1", outcome: .failed)) == .parked(dropped: 0))
        #expect(try store.outboxEntry(id: b.outboxID)?.state == .delivered)
        #expect(try store.outboxCounts() == OutboxCounts(pending: 1, dead: 0))
        // A receipt naming a pending row (accepted before a crash let us record it) settles it.
        #expect(try await store.applyOutboxReceipt(OutboxReceipt(adapterID: "support-mail", providerID: "X", outboxID: a.outboxID, outcome: .delivered)) == .applied(outboxID: a.outboxID))
        #expect(try store.outboxCounts() == OutboxCounts(pending: 0, dead: 0))
        #expect(try string(dir.storePath, "SELECT delivery_state FROM messages WHERE id = '\(a.messageID)'") == "delivered")
    }
}

@Suite struct OutboxRetryPolicyTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    let policy = OutboxRetryPolicy(maxAttempts: 5, maxAge: .seconds(3600), minimumDelay: .seconds(2), maximumDelay: .seconds(60))

    @Test(arguments: [(1, 0.0, 1.0), (1, 0.999, 2.0), (2, 0.0, 2.0), (3, 1.0, 8.0), (10, 0.0, 30.0), (10, 1.0, 60.0)])
    func backoffDoublesWithEqualJitter(attempt: Int, random: Double, expected: Double) {
        let d = policy.backoff(afterAttempt: attempt, random: random)
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        #expect(abs(seconds - max(expected, 2)) < 0.01)
    }

    @Test func retryAfterIsHonouredAndLimitsGiveUp() {
        let clock = ManualClock(start)
        var decision = policy.afterTemporaryFailure(attempt: 1, queuedAt: start, now: clock.now, retryAfter: .seconds(120), random: 0, reason: "429")
        #expect(decision == .retry(at: start.addingTimeInterval(120)))
        clock.advance(by: 120)
        decision = policy.afterTemporaryFailure(attempt: 5, queuedAt: start, now: clock.now, retryAfter: nil, random: 0, reason: "451")
        guard case .giveUp(let reason) = decision else { Issue.record("expected give up"); return }
        #expect(reason.contains("5 attempts") && reason.contains("451"))
        clock.advance(by: 3590)
        decision = policy.afterTemporaryFailure(attempt: 2, queuedAt: start, now: clock.now, retryAfter: nil, random: 0, reason: "503")
        guard case .giveUp(let late) = decision else { Issue.record("expected give up after max_age"); return }
        #expect(late.contains("max_age"))
    }
}
