import Dispatch
import Foundation
import SwitchboardCore
import SwitchboardStore
import Synchronization

/// Sends the matrix's automatic answers (`auto_answer`: a standard response) for new inbound
/// messages, exactly once per stored message.
///
/// It hears of messages from the store's commit listener (after their COMMIT) and works on its
/// own serial queue. Each answer is enqueued with the key `auto:<message id>`, so a message seen
/// twice is answered once. A checkpoint (`checkpoints` row `outbox` / `auto_answers`: the rowid of
/// the last message handled) is written in the same transaction as the answers; at start the
/// messages committed after it are decided again and answered (`replay()`): a SIGKILL right after
/// a message was acknowledged, before its answer was stored, loses nothing and sends nothing twice.
///
/// Never answered: mail recognized as automated (auto-replies, bulk and list mail: the parser's
/// `auto_submitted` / `list_id` metadata), and messages whose response channel has no sender or
/// whose customer opted out of it without another address.
final class AutoAnswers: @unchecked Sendable {
    static let checkpointAdapter = "outbox"
    static let checkpointKey = "auto_answers"

    private let store: Store
    private let replies: ReplyService
    private let routing: @Sendable () -> RoutingConfiguration
    private let decide: @Sendable (InboundMessage) -> MessageDecision?
    private let logger: Logger
    /// Stores answers with the checkpoint, in one transaction: the shape of
    /// `Store.enqueueOutbound(_:checkpoint:completion:)`.
    typealias Enqueue = @Sendable (_ requests: [OutboxRequest], _ checkpoint: (adapterID: String, key: String, value: String)?,
                                   _ completion: @escaping @Sendable (Result<[Result<OutboxEnqueued, OutboxRefusal>], StoreError>) -> Void) -> Void
    private let enqueue: Enqueue
    private let queue = DispatchQueue(label: "switchboard.auto-answers")
    private typealias Item = (message: StoredMessage, decision: RoutingDecision?)
    /// The rowid through which batches with nothing to answer were left out of the queue. Held
    /// while a batch is queued or left out, so that `flush`, which reads it, knows every batch
    /// with answers before it is already queued: the checkpoint never moves past a message with
    /// an answer still to queue.
    private let handOff = Mutex<Int64>(0)
    private let idlePacer = Pacer(every: 1)

    // Touched on `queue` only.
    private var handledRowID: Int64 = 0
    private var checkpointedRowID: Int64 = 0
    private var lastCheckpointWrite = Date.distantPast
    /// Set when answers could not be stored: the checkpoint stays where it was until a restart,
    /// whose replay answers them (`auto:<message id>` keys keep anything answered once).
    private var checkpointCeiling: Int64?
    /// Until the replay ran, committed messages are left to it (it reads them from the store).
    private var replayed = false

    /// Since start: answers queued, and messages not answered by reason.
    private let counts = Counts()
    final class Counts: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Int] = [:]
        func add(_ key: String) { lock.lock(); values[key, default: 0] += 1; lock.unlock() }
        var snapshot: [String: Int] { lock.lock(); defer { lock.unlock() }; return values }
    }

    /// `enqueue` is where answers and checkpoints are written, the store's `enqueueOutbound` when
    /// nil: a test passes one that fails a write, to see that the checkpoint then stays behind.
    init(store: Store, replies: ReplyService, routing: @escaping @Sendable () -> RoutingConfiguration,
         decide: @escaping @Sendable (InboundMessage) -> MessageDecision?, logger: Logger, enqueue: Enqueue? = nil) {
        self.store = store
        self.replies = replies
        self.routing = routing
        self.decide = decide
        self.logger = logger
        self.enqueue = enqueue ?? { [store] in store.enqueueOutbound($0, checkpoint: $1, completion: $2) }
    }

    var statistics: [String: Int] { counts.snapshot }

    /// The commit listener's hand-off (the store's completion thread): returns at once. Only
    /// messages the matrix gave an automatic answer go to the queue; a batch without any is left
    /// out (`handOff` remembers its last rowid), except one a second, which moves the checkpoint.
    func handle(_ committed: [CommittedMessage]) {
        guard let last = committed.last?.rowID else { return }
        var items: [Item] = []
        for c in committed {
            guard let decision = c.message.decision?.routing, decision.autoAnswer != nil else { continue }
            items.append((StoredMessage(id: c.outcome.messageID, contactID: c.outcome.contactID, conversationID: c.outcome.conversationID,
                                       direction: .inbound, receivedAt: Date(), message: c.message), decision))
        }
        handOff.withLock { skippedThrough in
            if items.isEmpty && !idlePacer.ready() {
                skippedThrough = max(skippedThrough, last)
                return
            }
            queue.async { [self, items] in
                if replayed { process(items, through: last) }
            }
        }
    }

    /// Answers what was committed after the checkpoint and not answered (a crash), deciding each
    /// message again. On the first start with an outbox, the checkpoint starts at the newest
    /// message: history is never answered.
    func replay() {
        queue.sync {
            defer { replayed = true }
            do {
                guard let text = try store.checkpoint(adapterID: Self.checkpointAdapter, key: Self.checkpointKey), let start = Int64(text) else {
                    let last = try store.lastMessageRowID()
                    writeCheckpoint(last)
                    handledRowID = last
                    return
                }
                handledRowID = start
                checkpointedRowID = start
                var cursor = start
                var count = 0
                while true {
                    let batch = try store.inboundMessages(afterRowID: cursor, limit: 500)
                    guard let last = batch.last else { break }
                    process(batch.map { ($0.message, decide($0.message.message)?.routing) }, through: last.rowID)
                    cursor = last.rowID
                    count += batch.count
                }
                if count > 0 { logger.info("automatic answers: replayed messages committed after the last checkpoint", ["messages": String(count)]) }
            } catch {
                logger.error("automatic answers: cannot replay from the store", ["error": "\(error)"])
            }
        }
    }

    /// Writes the checkpoint if it moved, and waits for the queue to be idle (shutdown).
    func flush() {
        // Read under the lock, waited for without it: the queue's last work may wait for a store
        // answer from the very thread that would then block in `handle`. Every batch with answers
        // committed before the skipped ones was queued before they were recorded, so it runs
        // before this block.
        let skippedThrough = handOff.withLock { $0 }
        queue.sync {
            handledRowID = max(handledRowID, skippedThrough)
            if handledRowID > checkpointedRowID { writeCheckpoint(handledRowID) }
        }
    }

    /// Answers `items`, the messages with an automatic answer among those committed up to rowid
    /// `through`.
    private func process(_ items: [Item], through: Int64) {
        var requests: [OutboxRequest] = []
        let configuration = routing()
        handledRowID = max(handledRowID, through)
        for (stored, decision) in items {
            guard let decision, let responseID = decision.autoAnswer else { continue }
            guard let response = configuration.response(responseID) else {
                counts.add("skipped_unknown_response")
                logger.warning("automatic answer names an unknown response", ["message_id": stored.id, "response": responseID])
                continue
            }
            let metadata = stored.message.metadata
            if stored.message.channel == .email, metadata["auto_submitted"] != nil || metadata["list_id"] != nil {
                counts.add("skipped_automated_mail")
                continue
            }
            do throws(ReplyError) {
                let (request, _) = try replies.plan(
                    conversationID: stored.conversationID, channel: decision.response.channel, answering: stored, author: "auto",
                    text: { response.text(for: $0) }, html: nil, subject: nil, isAutomatic: true, key: "auto:\(stored.id)")
                requests.append(request)
            } catch {
                counts.add("skipped_\(error.code)")
                logger.notice("automatic answer not sent", ["message_id": stored.id, "response": responseID, "reason": error.description])
            }
        }
        if requests.isEmpty {
            // Move the checkpoint now and then even when nothing is answered, so that a replay stays short.
            if handledRowID > checkpointedRowID, Date().timeIntervalSince(lastCheckpointWrite) > 5 { writeCheckpoint(handledRowID) }
            return
        }
        let rowID = min(handledRowID, checkpointCeiling ?? .max)
        let result = OutboxWorker.wait { done in
            self.enqueue(requests, (Self.checkpointAdapter, Self.checkpointKey, String(rowID)), done)
        }
        switch result {
        case .success(let outcomes):
            checkpointedRowID = rowID
            lastCheckpointWrite = Date()
            for outcome in outcomes {
                switch outcome {
                case .success(let stored) where !stored.duplicate: counts.add("queued")
                case .success: counts.add("duplicate")
                case .failure(let refusal):
                    counts.add("refused")
                    logger.warning("automatic answer refused by the store", ["reason": refusal.description])
                }
            }
            replies.enqueued()
        case .failure(let error):
            // Not checkpointed, now or later: the replay after a restart tries these again.
            checkpointCeiling = min(checkpointCeiling ?? .max, checkpointedRowID)
            logger.error("automatic answers could not be stored; they are tried again after a restart",
                         ["error": error.description, "answers": String(requests.count)])
        }
    }

    private func writeCheckpoint(_ wanted: Int64) {
        let rowID = min(wanted, checkpointCeiling ?? .max)
        let result = OutboxWorker.wait { done in
            self.enqueue([], (Self.checkpointAdapter, Self.checkpointKey, String(rowID)), done)
        }
        if case .failure(let error) = result {
            logger.warning("automatic answers: checkpoint not written", ["error": error.description])
            return
        }
        checkpointedRowID = rowID
        lastCheckpointWrite = Date()
    }
}
