import Dispatch
import Foundation
import Synchronization
import SwitchboardCore

/// One write waiting for the writer thread, with the completion to call after its transaction.
enum WriteJob: Sendable {
    case ingest([InboundMessage], completion: @Sendable ([Result<IngestOutcome, StoreError>]) -> Void)
    case quarantine(adapterID: String, errorCode: String, errorMessage: String, raw: [UInt8],
                    completion: @Sendable (Result<String, StoreError>) -> Void)
    case setCheckpoint(adapterID: String, key: String, value: String, completion: @Sendable (Result<Void, StoreError>) -> Void)
    case resolveConversation(id: String, completion: @Sendable (Result<Bool, StoreError>) -> Void)
    /// Any other write (tasks, outbox, tokens): runs inside the batch transaction on the writer and
    /// returns how to answer after COMMIT. Its failure to the caller goes through `fail`.
    case custom(run: @Sendable (StoreWriter) throws(StoreError) -> () -> Void, fail: @Sendable (StoreError) -> Void)

    /// How much of a batch this job uses: its message count, or 1.
    var weight: Int {
        if case .ingest(let messages, _) = self { return max(1, messages.count) }
        return 1
    }

    /// Messages this job adds to `Store.pendingCount`.
    var messageCount: Int {
        if case .ingest(let messages, _) = self { return messages.count }
        return 0
    }

    /// Answers the job with `error` for every write it holds.
    func fail(_ error: StoreError) {
        switch self {
        case .ingest(let messages, let completion): completion(Array(repeating: .failure(error), count: messages.count))
        case .quarantine(_, _, _, _, let completion): completion(.failure(error))
        case .setCheckpoint(_, _, _, let completion): completion(.failure(error))
        case .resolveConversation(_, let completion): completion(.failure(error))
        case .custom(_, let fail): fail(error)
        }
    }
}

/// The hand-off between any thread that writes and the one writer thread. Producers append under
/// a lock and wake the writer only when it is asleep; the writer takes everything queued (up to a
/// batch) at once, which is what makes concurrent writes share one transaction and one fsync.
///
/// The lock is a plain pthread mutex with a condition (`NSCondition`), not `Synchronization.Mutex`:
/// with many producers on two cores, Mutex's spinning before it sleeps burned more CPU than the
/// writer itself. `@unchecked Sendable` because `state` is only touched with `condition` held.
final class WriteQueue: @unchecked Sendable {
    struct Entry: Sendable {
        var job: WriteJob
        /// `DispatchTime` uptime in nanoseconds, for the acknowledge latency.
        var enqueuedAt: UInt64
    }

    private struct State {
        var entries: [Entry] = []
        var writerSleeping = false
        var closing = false
        /// Set by `wake()`, cleared when `waitForArrivals` returns.
        var woken = false
        /// The writer sleeps in `waitForArrivals` (holding a transaction open).
        var holding = false
        /// Tests only (`pause()`): the writer takes nothing new until `resume()`.
        var paused = false
    }

    /// Arrivals that wake a holding writer. Measured on 2 CPUs: waking it for each arrival cost
    /// the webhook benchmark (128 connections) 5-10 %; never waking it (only at the end of the
    /// sync) made 16-connection ingest p99 worse; 4 was best for both.
    static let holdingWakeCount = 4
    private let condition = NSCondition()
    private var state = State()
    /// Messages queued and not yet committed (or failed).
    let pendingMessages = Atomic<Int>(0)

    /// Queues `job`; false when the store is closing (the caller answers the job itself).
    func enqueue(_ job: WriteJob) -> Bool {
        let entry = Entry(job: job, enqueuedAt: DispatchTime.now().uptimeNanoseconds)
        condition.lock()
        defer { condition.unlock() }
        guard !state.closing else { return false }
        state.entries.append(entry)
        pendingMessages.add(job.messageCount, ordering: .relaxed)
        // While the writer holds a transaction open for a sync, one arrival is not worth waking it
        // for (a context switch per message, on the CPUs the event loops need): a few are.
        if state.writerSleeping && (!state.holding || state.entries.count >= Self.holdingWakeCount) {
            state.writerSleeping = false
            condition.signal()
        }
        return true
    }

    /// The writer's call: waits until something is queued and takes up to `maxWeight` of it
    /// (always at least one job). Returns nil once the queue is closing and empty.
    func takeBatch(maxWeight: Int) -> [Entry]? {
        condition.lock()
        defer { condition.unlock() }
        while state.entries.isEmpty || (state.paused && !state.closing) {
            if state.closing && state.entries.isEmpty { return nil }
            state.writerSleeping = true
            condition.wait()
        }
        state.writerSleeping = false
        return removeFirst(maxWeight: maxWeight, atLeastOne: true)
    }

    /// What was queued since the writer took its batch, up to `maxWeight` (possibly nothing):
    /// the writer adds it to the transaction it has open, so that writes arriving while it works
    /// share the coming COMMIT and its fsync instead of waiting for the next one. Never waits.
    func takeLateArrivals(maxWeight: Int) -> [Entry] {
        guard maxWeight > 0 else { return [] }
        condition.lock()
        defer { condition.unlock() }
        return removeFirst(maxWeight: maxWeight, atLeastOne: false)
    }

    /// The writer's wait while it holds a transaction open for the sync in flight: returns when
    /// something is queued, `wake()` was called since the last return, the queue is closing, or
    /// `timeout` has passed. Takes nothing.
    func waitForArrivals(timeout: TimeInterval) {
        condition.lock()
        defer { condition.unlock() }
        if state.entries.isEmpty && !state.woken && !state.closing {
            state.writerSleeping = true
            state.holding = true
            _ = condition.wait(until: Date(timeIntervalSinceNow: timeout))
            state.writerSleeping = false
            state.holding = false
        }
        state.woken = false
    }

    /// Ends the writer's `waitForArrivals` (or the next one): the sync it waited for is done.
    func wake() {
        condition.lock()
        defer { condition.unlock() }
        state.woken = true
        if state.writerSleeping {
            state.writerSleeping = false
            condition.signal()
        }
    }

    /// Takes the oldest entries up to `maxWeight` (the first one whatever its weight when
    /// `atLeastOne`). Called with `condition` held.
    private func removeFirst(maxWeight: Int, atLeastOne: Bool) -> [Entry] {
        var weight = 0
        var end = 0
        while end < state.entries.count {
            let next = state.entries[end].job.weight
            if (end > 0 || !atLeastOne) && weight + next > maxWeight { break }
            weight += next
            end += 1
        }
        if end == state.entries.count {
            let all = state.entries
            state.entries = []
            return all
        }
        let taken = Array(state.entries[..<end])
        state.entries.removeFirst(end)
        return taken
    }

    /// Whether `close()` was called: the writer stops holding transactions open and drains.
    var isClosing: Bool {
        condition.lock()
        defer { condition.unlock() }
        return state.closing
    }

    /// For tests: the writer finishes the batch it has and then takes nothing until `resume()`,
    /// so that everything queued meanwhile is there at once.
    func pause() {
        condition.lock()
        defer { condition.unlock() }
        state.paused = true
    }

    func resume() {
        condition.lock()
        defer { condition.unlock() }
        state.paused = false
        condition.signal()
    }

    /// Stops accepting writes; the writer drains what is queued, then `takeBatch` returns nil.
    func close() {
        condition.lock()
        defer { condition.unlock() }
        state.closing = true
        condition.signal()
    }
}
