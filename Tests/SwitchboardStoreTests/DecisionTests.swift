import Foundation
import Synchronization
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite struct DecisionTests {
    @Test func decisionIsStoredWithTheMessageAndReadBack() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        store.setDecider { message in
            MessageDecision(inquiryType: message.text.contains("invoice") ? "billing" : "other", confidence: 0.9,
                            queue: "finance", priority: 3, details: Array(#"{"classification":{"type":"billing"}}"#.utf8))
        }
        let outcome = try await store.ingest(makeMessage("d-1", text: "my invoice is wrong"))
        let stored = try #require(try store.message(id: outcome.messageID))
        let decision = try #require(stored.message.decision)
        #expect(decision.inquiryType == "billing")
        #expect(decision.confidence == 0.9)
        #expect(decision.queue == "finance")
        #expect(decision.priority == 3)
        #expect(try JSONParser().parse(decision.details)["classification"]?["type"]?.stringValue == "billing")
    }

    @Test func aMessageThatArrivesDecidedKeepsItsDecisionAndNoDeciderMeansNone() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(), logger: .silent)
        defer { store.close() }
        let plain = try await store.ingest(makeMessage("d-2"))
        #expect(try store.message(id: plain.messageID)?.message.decision == nil)
        store.setDecider { _ in MessageDecision(inquiryType: "other", confidence: 0, details: Array("{}".utf8)) }
        var decided = makeMessage("d-3")
        decided.decision = MessageDecision(inquiryType: "sales", confidence: 0.5, details: Array("{}".utf8))
        let kept = try await store.ingest(decided)
        #expect(try store.message(id: kept.messageID)?.message.decision?.inquiryType == "sales")
    }

    /// Regression: a closure kept directly in a Mutex grew a reabstraction thunk per ingest call
    /// and overflowed the stack after ~10,000 calls in a release build.
    @Test func deciderSurvivesManyIngestCalls() async throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.storePath, options: .testing(synchronous: .normal), logger: .silent)
        defer { store.close() }
        let decided = Atomic<Int>(0)
        store.setDecider { _ in
            decided.add(1, ordering: .relaxed)
            return MessageDecision(inquiryType: "other", confidence: 0, details: Array("{}".utf8))
        }
        let calls = 30_000
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Atomic<Int>(calls)
            for i in 0..<calls {
                store.ingest([makeMessage("many-\(i)")]) { _ in
                    if remaining.subtract(1, ordering: .relaxed).newValue == 0 { done.resume() }
                }
            }
        }
        #expect(decided.load(ordering: .relaxed) == calls)
        #expect(try store.stats().messages == calls)
    }
}
