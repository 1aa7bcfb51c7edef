import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// The order of an outbox row's states when the worker's record of a send and the provider's
/// receipts race: a row only moves forward, and a receipt's final answer is never replaced by
/// the earlier news that the message was sent.
@Suite struct OutboxStateOrderTests {
    static let attempts: [OutboxAttemptResult] = [
        .sent(providerID: "SM1"), .retry(nextAttemptAt: Date(timeIntervalSince1970: 0), error: "503"), .dead(error: "400"),
    ]

    @Test(arguments: OutboxState.allCases)
    func automaticChangesNeverGoBack(state: OutboxState) {
        for result in Self.attempts {
            if let next = state.afterAttempt(result) { #expect(next.progress >= state.progress, "\(state) after \(result) → \(next)") }
        }
        for outcome in [OutboxReceipt.Outcome.delivered, .failed] {
            if let next = state.afterReceipt(outcome) { #expect(next.progress > state.progress, "\(state) after \(outcome) → \(next)") }
        }
    }

    @Test(arguments: [
        (OutboxState.pending, OutboxReceipt.Outcome.delivered, OutboxState?.some(.delivered)),
        (.pending, .failed, .failed),
        (.sent, .delivered, .delivered),
        (.sent, .failed, .failed),
        (.delivered, .failed, nil),      // the first final answer stands
        (.failed, .delivered, nil),
        (.delivered, .delivered, nil),   // receipts repeat
        (.dead, .delivered, nil),
    ])
    func receipts(state: OutboxState, outcome: OutboxReceipt.Outcome, expected: OutboxState?) {
        #expect(state.afterReceipt(outcome) == expected)
    }

    @Test func aSendRecordedAfterItsReceiptKeepsTheReceiptsState() {
        #expect(OutboxState.delivered.afterAttempt(.sent(providerID: "SM1")) == .delivered)
        #expect(OutboxState.failed.afterAttempt(.sent(providerID: "SM1")) == .failed)
        #expect(OutboxState.pending.afterAttempt(.sent(providerID: "SM1")) == .sent)
        // A retry or give-up only applies to a row still waiting.
        for state in [OutboxState.sent, .delivered, .failed, .dead] {
            #expect(state.afterAttempt(.retry(nextAttemptAt: Date(), error: "503")) == nil)
            #expect(state.afterAttempt(.dead(error: "400")) == nil)
        }
        #expect(OutboxState.sent.afterAttempt(.sent(providerID: "SM1")) == nil)
        #expect(OutboxState.dead.afterAttempt(.sent(providerID: "SM1")) == nil)
    }
}

/// Receipts that arrive before the worker has recorded the provider's id of the send they report.
@Suite struct OutboxEarlyReceiptTests {
    struct Setup {
        let dir: TemporaryDirectory
        var store: Store
        let clock: ManualClock
        let conversationID: String
        let options: StoreOptions

        func reopen() throws -> Store { try Store(path: dir.storePath, options: options, logger: .silent) }
    }

    func setup(limit: Int = 10_000, maxAge: TimeInterval = 3600) async throws -> Setup {
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        var options = StoreOptions.testing(clock: clock)
        options.earlyReceiptLimit = limit
        options.earlyReceiptMaxAge = maxAge
        let store = try Store(path: dir.storePath, options: options, logger: .silent)
        let inbound = try await store.ingest(makeMessage("m-1", channel: .sms, adapter: "tw",
                                                         from: Identity(kind: .phone, value: "+14155550123")))
        return Setup(dir: dir, store: store, clock: clock, conversationID: inbound.conversationID, options: options)
    }

    func enqueue(_ store: Store, _ conversation: String, key: String) async throws -> OutboxEnqueued {
        try await store.enqueueOutbound(OutboxRequest(
            message: OutboundMessage(conversationID: conversation, channel: .sms, adapterID: "tw", recipient: "+14155550123",
                                     text: "Your parcel left today.", author: "agent-2"),
            idempotencyKey: key)).get()
    }

    func receipt(_ providerID: String, _ outcome: OutboxReceipt.Outcome, outboxID: String? = nil) -> OutboxReceipt {
        OutboxReceipt(adapterID: "tw", providerID: providerID, outboxID: outboxID, outcome: outcome,
                      detail: "twilio status \(outcome == .delivered ? "delivered" : "undelivered"), error 30005")
    }

    @Test func aReceiptBeforeTheSendIsKeptAndAppliedWhenTheSendIsRecorded() async throws {
        let t = try await setup()
        defer { t.store.close() }
        let row = try await enqueue(t.store, t.conversationID, key: "r1")

        #expect(try await t.store.applyOutboxReceipt(receipt("SM1", .delivered)) == .parked(dropped: 0))
        #expect(try t.store.earlyReceiptCount() == 1)
        #expect(try t.store.outboxEntry(id: row.outboxID)?.state == .pending)

        // The send's acceptance, recorded after the receipt: the row ends delivered, never back to sent.
        #expect(try await t.store.recordOutboxAttempt(id: row.outboxID, result: .sent(providerID: "SM1")) == .delivered)
        let entry = try #require(try t.store.outboxEntry(id: row.outboxID))
        #expect(entry.state == .delivered && entry.providerID == "SM1" && entry.attempts == 1 && entry.lastError == nil)
        #expect(try string(t.dir.storePath, "SELECT delivery_state FROM messages WHERE id = '\(row.messageID)'") == "delivered")
        #expect(try t.store.outboxCounts() == OutboxCounts(pending: 0, dead: 0))
        #expect(try t.store.earlyReceiptCount() == 0)
        // A repeat of the receipt, or a late "failed", changes nothing.
        #expect(try await t.store.applyOutboxReceipt(receipt("SM1", .delivered)) == .ignored)
        #expect(try await t.store.applyOutboxReceipt(receipt("SM1", .failed)) == .ignored)
        #expect(try t.store.outboxEntry(id: row.outboxID)?.state == .delivered)
    }

    @Test func anEarlyFailureKeepsTheProvidersDetail() async throws {
        let t = try await setup()
        defer { t.store.close() }
        let row = try await enqueue(t.store, t.conversationID, key: "r1")
        #expect(try await t.store.applyOutboxReceipt(receipt("SM2", .failed)) == .parked(dropped: 0))
        // A second early receipt for the same id: the first final answer stands.
        #expect(try await t.store.applyOutboxReceipt(receipt("SM2", .delivered)) == .parked(dropped: 0))
        #expect(try await t.store.recordOutboxAttempt(id: row.outboxID, result: .sent(providerID: "SM2")) == .failed)
        let entry = try #require(try t.store.outboxEntry(id: row.outboxID))
        #expect(entry.state == .failed && entry.lastError == "twilio status undelivered, error 30005")
    }

    @Test func aKeptReceiptSurvivesARestart() async throws {
        var t = try await setup()
        let row = try await enqueue(t.store, t.conversationID, key: "r1")
        #expect(try await t.store.applyOutboxReceipt(receipt("SM3", .delivered)) == .parked(dropped: 0))
        t.store.close()
        t.store = try t.reopen()
        defer { t.store.close() }
        #expect(try t.store.earlyReceiptCount() == 1)
        #expect(try await t.store.recordOutboxAttempt(id: row.outboxID, result: .sent(providerID: "SM3")) == .delivered)
    }

    @Test func keptReceiptsAreBoundedInCountAndAge() async throws {
        let t = try await setup(limit: 3, maxAge: 600)
        defer { t.store.close() }
        let first = try await enqueue(t.store, t.conversationID, key: "r1")
        let late = try await enqueue(t.store, t.conversationID, key: "r2")
        for id in ["SM-a", "SM-b", "SM-c"] {
            #expect(try await t.store.applyOutboxReceipt(receipt(id, .delivered)) == .parked(dropped: 0))
        }
        // A fourth pushes the oldest out.
        #expect(try await t.store.applyOutboxReceipt(receipt("SM-d", .delivered)) == .parked(dropped: 1))
        #expect(try t.store.earlyReceiptCount() == 3)
        // SM-a was the one dropped: its send stays plain sent.
        #expect(try await t.store.recordOutboxAttempt(id: first.outboxID, result: .sent(providerID: "SM-a")) == .sent)

        // Past the age bound a kept receipt no longer applies, and the next one kept clears it away.
        t.clock.advance(by: 601)
        #expect(try await t.store.recordOutboxAttempt(id: late.outboxID, result: .sent(providerID: "SM-b")) == .sent)
        #expect(try await t.store.applyOutboxReceipt(receipt("SM-e", .delivered)) == .parked(dropped: 2))
        #expect(try t.store.earlyReceiptCount() == 1)
    }

    @Test func aReceiptNamingThePendingRowWinsOverTheSendRecordedAfterIt() async throws {
        let t = try await setup()
        defer { t.store.close() }
        let row = try await enqueue(t.store, t.conversationID, key: "r1")
        // Vonage echoes our outbox id (client-ref): the pending row is settled at once.
        #expect(try await t.store.applyOutboxReceipt(receipt("vn-1", .delivered, outboxID: row.outboxID)) == .applied(outboxID: row.outboxID))
        #expect(try t.store.outboxCounts() == OutboxCounts(pending: 0, dead: 0))
        // The send's acceptance is still recorded (attempt, provider id), but delivered stays.
        #expect(try await t.store.recordOutboxAttempt(id: row.outboxID, result: .sent(providerID: "vn-1")) == .delivered)
        let entry = try #require(try t.store.outboxEntry(id: row.outboxID))
        #expect(entry.state == .delivered && entry.attempts == 1 && entry.providerID == "vn-1")
        #expect(try t.store.outboxCounts() == OutboxCounts(pending: 0, dead: 0))
        #expect(try string(t.dir.storePath, "SELECT delivery_state FROM messages WHERE id = '\(row.messageID)'") == "delivered")
    }

    @Test func aMultiPartSendPicksUpAReceiptForAnyOfItsParts() async throws {
        let t = try await setup()
        defer { t.store.close() }
        let row = try await enqueue(t.store, t.conversationID, key: "r1")
        #expect(try await t.store.applyOutboxReceipt(receipt("vn-2", .delivered)) == .parked(dropped: 0))
        #expect(try await t.store.recordOutboxAttempt(id: row.outboxID, result: .sent(providerID: "vn-1,vn-2")) == .delivered)
        #expect(try t.store.earlyReceiptCount() == 0)
    }
}
