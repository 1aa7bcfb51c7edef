import Foundation
import SwitchboardChannels
import SwitchboardCore
import SwitchboardStore
import SwitchboardSystem

/// Sends what the outbox holds. One dispatcher thread reads due rows from the store and hands
/// them to `workers` sending threads (libcurl blocks: never an event loop, never the Swift
/// concurrency pool), at most `per_adapter` attempts in flight per adapter. It sleeps until the
/// earliest due time, an enqueue (`wake()`), a finished attempt, or `poll_interval`.
///
/// Every attempt is recorded in the store before the row can be picked again: sent (with the
/// provider's id), retry at a time chosen by `OutboxRetryPolicy` (Retry-After honoured), or dead
/// with the far side's answer. A crash between "accepted by the far side" and "recorded" leaves
/// the row pending; the next attempt then sends the same bytes (email: same Message-ID), which
/// is the at-least-once end of the contract (docs/outbox.md, crash semantics).
///
/// `stop()` drains: no new attempts start, attempts in flight finish and are recorded (or, past
/// the timeout, stay pending in the store: nothing is lost).
final class OutboxWorker: @unchecked Sendable {
    /// Counters since start, per adapter.
    struct AdapterStats: Sendable {
        var sent = 0
        var retries = 0
        var dead = 0
    }

    private let store: Store
    private let logger: Logger
    private let senders: @Sendable (String) -> (any OutboundSender)?
    private let now: @Sendable () -> Date
    private let random: @Sendable () -> Double

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var settings: OutboxSettings
    private var ready: [OutboxEntry] = []
    private var inFlight: [String: String] = [:]
    private var perAdapter: [String: Int] = [:]
    private var woken = false
    private var stopping = false
    private var running = 0
    private var stats: [String: AdapterStats] = [:]
    private var lastError: (at: Date, text: String)?

    init(store: Store, settings: OutboxSettings, logger: Logger, senders: @escaping @Sendable (String) -> (any OutboundSender)?,
         now: @escaping @Sendable () -> Date = { Date() }, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.senders = senders
        self.now = now
        self.random = random
    }

    func start() {
        condition.lock()
        let workers = settings.workers
        running = workers + 1
        condition.unlock()
        // Named for the OS too (ps -L, top -H), as docs/outbox.md calls them.
        let dispatcher = Thread { [self] in
            ThreadName.setCurrent("outbox-dispatch")
            dispatch()
        }
        dispatcher.name = "outbox-dispatch"
        dispatcher.start()
        for index in 0..<workers {
            let thread = Thread { [self] in
                ThreadName.setCurrent("outbox-\(index)")
                work()
            }
            thread.name = "outbox-\(index)"
            thread.start()
        }
    }

    /// Something was enqueued or re-queued: look at the store now.
    func wake() {
        condition.lock()
        woken = true
        condition.broadcast()
        condition.unlock()
    }

    /// Applies a reloaded `outbox` section (policy, per-adapter limit, poll interval); `workers`
    /// keeps the number of threads started (a restart applies it; the reload says so).
    func update(_ new: OutboxSettings) {
        condition.lock()
        let workers = settings.workers
        settings = new
        settings.workers = workers
        woken = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops starting attempts and waits up to `timeout` for those in flight. True when all finished.
    @discardableResult
    func stop(timeout: Duration) -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        ready.removeAll()
        condition.broadcast()
        while running > 0 {
            if !condition.wait(until: deadline) { break }
        }
        if running > 0 {
            logger.warning("outbox attempts still running at shutdown; their rows stay pending and are sent after the restart",
                           ["in_flight": String(inFlight.count)])
        }
        return running == 0
    }

    var snapshot: (stats: [String: AdapterStats], inFlight: Int, lastError: (at: Date, text: String)?) {
        condition.lock()
        defer { condition.unlock() }
        return (stats, inFlight.count, lastError)
    }

    // MARK: Dispatcher

    private func dispatch() {
        condition.lock()
        while !stopping {
            woken = false
            let poll = settings.pollInterval
            condition.unlock()
            let at = now()
            var due: [OutboxEntry] = []
            var next: Date?
            do {
                due = try store.dueOutbox(now: at, limit: 200)
                next = try store.nextOutboxDue(after: at)
            } catch {
                logger.error("cannot read due rows", ["error": error.description])
            }
            condition.lock()
            if stopping { break }
            var blocked = false
            for entry in due where inFlight[entry.id] == nil {
                if perAdapter[entry.adapterID, default: 0] >= settings.perAdapter {
                    blocked = true
                    continue
                }
                inFlight[entry.id] = entry.adapterID
                perAdapter[entry.adapterID, default: 0] += 1
                ready.append(entry)
            }
            if !ready.isEmpty { condition.broadcast() }
            if woken { continue }
            // A blocked row waits for a finished attempt (which wakes us); otherwise sleep until
            // the earliest due time, never longer than the poll interval.
            var deadline = Date().addingTimeInterval(Double(poll.components.seconds) + Double(poll.components.attoseconds) / 1e18)
            if !blocked, let next {
                deadline = min(deadline, Date().addingTimeInterval(max(0.001, next.timeIntervalSince(now()))))
            }
            while !woken && !stopping {
                if !condition.wait(until: deadline) { break }
            }
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Sending threads

    private func work() {
        condition.lock()
        while true {
            while ready.isEmpty && !stopping { condition.wait() }
            if stopping { break }
            let entry = ready.removeFirst()
            condition.unlock()
            let outcome = attempt(entry)
            condition.lock()
            inFlight.removeValue(forKey: entry.id)
            perAdapter[entry.adapterID, default: 1] -= 1
            switch outcome {
            case .sent?: stats[entry.adapterID, default: AdapterStats()].sent += 1
            case .retry(_, let error)?:
                stats[entry.adapterID, default: AdapterStats()].retries += 1
                lastError = (now(), "\(entry.adapterID): \(error)")
            case .dead(let error)?:
                stats[entry.adapterID, default: AdapterStats()].dead += 1
                lastError = (now(), "\(entry.adapterID): \(error)")
            case nil: break
            }
            woken = true
            condition.broadcast()
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// One attempt, recorded in the store before it returns. nil when nothing was recorded.
    private func attempt(_ entry: OutboxEntry) -> OutboxAttemptResult? {
        let attempt = entry.attempts + 1
        let result = decide(entry, attempt: attempt)
        let recorded = Self.wait { done in self.store.recordOutboxAttempt(id: entry.id, result: result, completion: done) }
        let recordedState: OutboxState
        switch recorded {
        case .failure(let error):
            logger.error("could not record an attempt; the row stays pending", ["outbox_id": entry.id, "error": error.description])
            return nil
        case .success(nil):
            return nil
        case .success(let state?):
            recordedState = state
        }
        switch result {
        case .sent(let providerID):
            // `delivered` or `failed` here: the provider's receipt arrived before its answer to the send.
            logger.info("sent", ["outbox_id": entry.id, "message_id": entry.messageID, "adapter": entry.adapterID,
                                 "attempt": String(attempt), "provider_id": providerID ?? "-", "state": recordedState.rawValue])
        case .retry(let at, let error):
            logger.warning("temporary failure; will retry", ["outbox_id": entry.id, "adapter": entry.adapterID,
                                                                       "attempt": String(attempt), "next_attempt_at": RFC3339.format(at), "reason": error])
        case .dead(let error):
            logger.error("dead-lettered", ["outbox_id": entry.id, "message_id": entry.messageID, "adapter": entry.adapterID,
                                                   "attempt": String(attempt), "reason": error])
        }
        return result
    }

    private func decide(_ entry: OutboxEntry, attempt: Int) -> OutboxAttemptResult {
        condition.lock()
        let policy = settings.retry
        condition.unlock()
        func temporary(_ reason: String, after: Duration?) -> OutboxAttemptResult {
            switch policy.afterTemporaryFailure(attempt: attempt, queuedAt: entry.queuedAt, now: now(), retryAfter: after,
                                                random: random(), reason: reason) {
            case .retry(let at): return .retry(nextAttemptAt: at, error: reason)
            case .giveUp(let reason): return .dead(error: reason)
            }
        }
        if entry.channel == .sms {
            // Checked again at send time: the customer may have texted STOP after the answer was queued.
            if let contact = try? store.contact(id: entry.contactID), contact.attributes[SMSKeyword.optOutAttribute] == "true" {
                return .dead(error: "the recipient opted out of SMS (STOP); nothing was sent")
            }
        }
        guard let sender = senders(entry.adapterID) else {
            return temporary("adapter \(entry.adapterID) cannot send now (not configured, disabled, failed to start, or without a send/smtp section)",
                             after: nil)
        }
        guard sender.outboundChannel == entry.channel else {
            return .dead(error: "adapter \(entry.adapterID) sends on \(sender.outboundChannel.rawValue), not \(entry.channel.rawValue)")
        }
        let item = OutboundItem(outboxID: entry.id, messageID: entry.messageID, message: entry.message, createdAt: entry.createdAt,
                                attempt: attempt,
                                threading: OutboundItem.Threading(messageID: entry.emailMessageID, inReplyTo: entry.emailInReplyTo,
                                                                  references: entry.emailReferences))
        switch sender.send(item) {
        case .sent(let providerID): return .sent(providerID: providerID)
        case .rejected(let reason): return .dead(error: reason)
        case .retry(let after, let reason): return temporary(reason, after: after)
        }
    }

    /// Blocks the calling (sending) thread until a store completion answers.
    static func wait<T: Sendable>(_ start: (@escaping @Sendable (T) -> Void) -> Void) -> T {
        let box = ResultBox<T>()
        start { value in box.set(value) }
        return box.get()
    }
}

/// A value handed from the store's completion thread to a waiting sending thread.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: T?
    func set(_ v: T) {
        condition.lock()
        value = v
        condition.broadcast()
        condition.unlock()
    }
    func get() -> T {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}
