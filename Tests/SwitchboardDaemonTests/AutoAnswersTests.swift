import Dispatch
import Foundation
import Synchronization
import Testing
import SwitchboardChannels
import SwitchboardCore
@testable import SwitchboardStore
@testable import SwitchboardDaemon

/// What the automatic answers do when the store refuses a write of answers as a whole.
@Suite struct AutoAnswersTests {
    static let adapter = "sms-main"

    /// Every message gets the standard response `hours`, answered on SMS.
    static let routing: RoutingConfiguration = {
        var routing = RoutingConfiguration.minimal
        routing.responses = [StandardResponse(id: "hours", title: "Opening hours", text: "We are open from 9 to 5.")]
        routing.defaultActions = RuleActions(queue: "general", autoAnswer: "hours")
        return routing
    }()

    static func decide(_ message: InboundMessage) -> MessageDecision? {
        let routing = ChannelMatrix(configuration: Self.routing).route(RoutingInput(type: .information, channel: message.channel, time: Date()))
        return MessageDecision(inquiryType: "information", confidence: 1, queue: routing.queue, details: [], routing: routing)
    }

    /// Stores an inbound SMS with its decision, and returns it as the commit listener hands it over.
    static func ingest(_ store: Store, _ externalID: String, from phone: String) async throws -> CommittedMessage {
        var message = InboundMessage(channel: .sms, adapterID: adapter, externalID: externalID,
                                     sender: Identity(kind: .phone, value: phone), text: "When are you open?")
        message.decision = decide(message)
        let outcome = try await store.ingest(message)
        return CommittedMessage(rowID: try store.lastMessageRowID(), outcome: outcome, message: message)
    }

    /// The idempotency keys of the outbox rows (an outbound message's external id is its key).
    static func outboxKeys(_ store: Store) throws -> [String] {
        try store.outboxEntries(state: nil).compactMap { try store.message(id: $0.messageID)?.message.externalID }.sorted()
    }

    static func checkpoint(_ store: Store) throws -> String? {
        try store.checkpoint(adapterID: AutoAnswers.checkpointAdapter, key: AutoAnswers.checkpointKey)
    }

    @Test func aFailedWriteKeepsTheCheckpointBehindItsMessagesUntilTheReplayAnswersThem() async throws {
        let dir = NSTemporaryDirectory() + "switchboard-daemon-tests-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store(path: dir + "/state/store.db", logger: .silent)
        defer { store.close() }
        let replies = ReplyService(store: store, senders: { $0 == Self.adapter ? StubSMSSender() : nil },
                                   adapters: { [(Self.adapter, .sms)] }, enqueued: {})
        let writes = FailingEnqueue(store)
        let answers = AutoAnswers(store: store, replies: replies, routing: { Self.routing }, decide: { Self.decide($0) },
                                  logger: .silent, enqueue: writes.enqueue)
        answers.replay()
        let before = try #require(try Self.checkpoint(store))
        #expect(before == "0", "the first start checkpoints the newest message: none")

        // A's answer is refused with the whole write.
        let a = try await Self.ingest(store, "SM-A", from: "+15550000001")
        writes.failNext()
        answers.handle([a])
        #expect(writes.waitForAnswers())
        #expect(try Self.outboxKeys(store) == [])
        #expect(try Self.checkpoint(store) == before)

        // B's is stored, but its checkpoint may not pass A, nor may a flush.
        let b = try await Self.ingest(store, "SM-B", from: "+15550000002")
        #expect(b.rowID > a.rowID && a.rowID > Int64(before)!)
        answers.handle([b])
        #expect(writes.waitForAnswers())
        #expect(try Self.outboxKeys(store) == ["auto:\(b.outcome.messageID)"])
        #expect(try Self.checkpoint(store) == before, "the checkpoint stays before A, whose answer is not stored")
        answers.flush()
        #expect(try Self.checkpoint(store) == before)

        // A restart: the replay answers A, and B (already answered under its key) not again.
        let restarted = AutoAnswers(store: store, replies: replies, routing: { Self.routing }, decide: { Self.decide($0) }, logger: .silent)
        restarted.replay()
        restarted.flush()
        #expect(try Self.outboxKeys(store) == ["auto:\(a.outcome.messageID)", "auto:\(b.outcome.messageID)"].sorted())
        #expect(restarted.statistics["queued"] == 1 && restarted.statistics["duplicate"] == 1)
        #expect((try Self.checkpoint(store).flatMap { Int64($0) } ?? 0) >= b.rowID, "the replay moved it past both")
    }
}

/// An SMS sender that accepts everything (nothing here is delivered: the outbox worker is not running).
struct StubSMSSender: OutboundSender {
    var outboundChannel: Channel { .sms }
    func send(_ item: OutboundItem) -> SendOutcome { .sent(providerID: nil) }
}

/// The automatic answers' writes: the store's, except the next one after `failNext()`, which
/// fails as a whole as a full disk would. `waitForAnswers()` returns once a write with answers
/// (not a bare checkpoint) has been answered, or gives up after 10 s.
final class FailingEnqueue: Sendable {
    private let store: Store
    private let failing = Mutex(false)
    private let answered = DispatchSemaphore(value: 0)

    init(_ store: Store) { self.store = store }

    func failNext() { failing.withLock { $0 = true } }

    /// False after 10 s without one (the test then fails instead of hanging).
    func waitForAnswers() -> Bool { answered.wait(timeout: .now() + 10) == .success }

    var enqueue: AutoAnswers.Enqueue {
        { [self] requests, checkpoint, completion in
            let fail = failing.withLock { failing in defer { failing = false }; return failing }
            if fail {
                completion(.failure(StoreError(code: .sqlite, purpose: "commit", message: "database or disk is full", sqliteCode: 13)))
                answered.signal()
                return
            }
            store.enqueueOutbound(requests, checkpoint: checkpoint) { [answered] result in
                completion(result)
                if !requests.isEmpty { answered.signal() }
            }
        }
    }
}
