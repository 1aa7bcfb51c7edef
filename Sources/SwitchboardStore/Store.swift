import Dispatch
import Foundation
import Synchronization
import SwitchboardCore
#if canImport(Glibc)
import Glibc
#endif

/// The store: every message Switchboard acknowledges is in here first.
///
/// Writes go to ONE writer thread with group commit: whatever is queued when the writer is free
/// becomes one transaction and one fsync, and each write's completion is called only after that
/// COMMIT. So many adapters and connections writing at once pay for durability together, and an
/// acknowledgement sent from a completion is never for something that could still be lost.
/// With `synchronous=FULL` the fsync runs on a syncer thread (`WALSyncer`) while the writer
/// fills the next batch, and completions are called there once the log is on disk; otherwise on
/// the writer thread. Either way: do little there and hop elsewhere (the async wrappers do).
///
/// Reads use a small pool of read-only connections from any thread and never wait for the writer.
/// They block the calling thread briefly; from async code use `read(_:)`, which runs them on a
/// Dispatch queue instead of a Swift concurrency thread.
///
/// All writes, including future ones (conversation status, outbox), must go through the writer:
/// its in-memory lookups (identity → contact, contact → open conversation) rely on it.
public final class Store: Sendable {
    public let path: String
    public let options: StoreOptions
    let logger: Logger
    let queue = WriteQueue()
    let readers: ReaderPool
    private let metricsRecorder = MetricsRecorder()
    private let writerRunning = DispatchGroup()
    /// The threads completions run on, so that `close()` called from one does not wait for itself.
    private let writerThreads = StoreThreads()
    private let commitListener = CommitListenerBox()
    private let writeFailureBox = WriteFailureBox()

    /// Opens (creating the directory and file if needed) and migrates the database at `path`,
    /// then starts the writer thread. Throws if the database cannot be opened, is from a newer
    /// Switchboard, or cannot be migrated.
    public init(path: String, options: StoreOptions = StoreOptions(), logger: Logger) throws(StoreError) {
        self.path = path
        self.options = options
        self.logger = logger
        self.readers = ReaderPool(path: path, options: options)

        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError(code: .filesystem, purpose: "create store directory \(directory)",
                                 message: String(describing: error),
                                 hint: "create it, or give the daemon's user write access to its parent")
            }
        }

        let startup = StartupSignal()
        let (queue, metrics, readers, running, threads, listener, writeFailure) =
            (self.queue, metricsRecorder, self.readers, writerRunning, self.writerThreads, commitListener, writeFailureBox)
        running.enter()
        let thread = Thread {
            threads.registerCurrent()
            ThreadName.setCurrent("store-writer")
            do throws(StoreError) {
                // The writer (and its connection) lives in this scope only: by the time
                // `running.leave()` lets `close()` return, the database file is closed.
                let writer = try StoreWriter(path: path, options: options, logger: logger, metrics: metrics,
                                             commitListener: listener, queue: queue, threads: threads,
                                             writeFailure: writeFailure)
                startup.finish(.success(()))
                writer.run(queue)
                logger.info("store closed", ["path": path])
            } catch {
                startup.finish(.failure(error))
            }
            readers.close()
            running.leave()
        }
        thread.name = "store-writer"
        thread.start()
        try startup.wait().get()
        logger.info("store open", ["path": path, "synchronous": options.synchronous.rawValue])
    }

    deinit { close() }

    // MARK: Writing

    /// Messages queued and not yet committed: the HTTP layer answers 503 above its budget.
    public var pendingCount: Int { queue.pendingMessages.load(ordering: .relaxed) }

    /// Queues messages for the next group commit. `completion` gets one result per message, in
    /// order, after the transaction holding them committed (or failed as a whole), on the writer
    /// thread. A duplicate (same adapter and external id as a stored message, also earlier in the
    /// same call) answers the original ids with `duplicate == true`.
    public func ingest(_ messages: [InboundMessage],
                       completion: @escaping @Sendable ([Result<IngestOutcome, StoreError>]) -> Void) {
        guard !messages.isEmpty else { return completion([]) }
        if let decide = decider.withLock({ $0 })?.decide {
            var decided = messages
            for index in decided.indices where decided[index].decision == nil {
                decided[index].decision = decide(decided[index])
            }
            submit(.ingest(decided, completion: completion))
        } else {
            submit(.ingest(messages, completion: completion))
        }
    }

    /// Decides each inbound message's classification and routing before it is queued, on the
    /// caller's thread (an event loop or an adapter's poller), so the decision is committed with
    /// the message and the writer thread does no extra work. The daemon installs it and swaps it
    /// on reload; the store itself knows nothing about classification.
    public func setDecider(_ decide: (@Sendable (InboundMessage) -> MessageDecision?)?) {
        let box = decide.map(DeciderBox.init)
        decider.withLock { $0 = box }
    }
    // The closure lives in a class: a function value kept directly in a Mutex is re-wrapped in a
    // reabstraction thunk on every `withLock` that passes it inout, and the thunks pile up until
    // the stack overflows (seen as a crash after ~10,000 messages).
    private final class DeciderBox: Sendable {
        let decide: @Sendable (InboundMessage) -> MessageDecision?
        init(_ decide: @escaping @Sendable (InboundMessage) -> MessageDecision?) { self.decide = decide }
    }
    private let decider = Mutex<DeciderBox?>(nil)

    public func ingest(_ messages: [InboundMessage]) async -> [Result<IngestOutcome, StoreError>] {
        await withCheckedContinuation { continuation in
            ingest(messages) { continuation.resume(returning: $0) }
        }
    }

    public func ingest(_ message: InboundMessage) async throws(StoreError) -> IngestOutcome {
        let results = await ingest([message])
        return try results[0].get()
    }

    /// Keeps input an adapter could not parse, with its error and raw bytes; answers the new
    /// quarantine id after commit.
    public func quarantine(adapterID: String, errorCode: String, errorMessage: String, raw: [UInt8],
                           completion: @escaping @Sendable (Result<String, StoreError>) -> Void) {
        submit(.quarantine(adapterID: adapterID, errorCode: errorCode, errorMessage: errorMessage, raw: raw,
                           completion: completion))
    }

    public func quarantine(adapterID: String, errorCode: String, errorMessage: String, raw: [UInt8]) async throws(StoreError) -> String {
        let result = await withCheckedContinuation { continuation in
            quarantine(adapterID: adapterID, errorCode: errorCode, errorMessage: errorMessage, raw: raw) {
                continuation.resume(returning: $0)
            }
        }
        return try result.get()
    }

    /// Records where a polling adapter has got to. Writes are committed in the order they were
    /// queued, so a checkpoint queued after an ingest is never committed before it.
    public func setCheckpoint(adapterID: String, key: String, value: String,
                              completion: @escaping @Sendable (Result<Void, StoreError>) -> Void) {
        submit(.setCheckpoint(adapterID: adapterID, key: key, value: value, completion: completion))
    }

    public func setCheckpoint(adapterID: String, key: String, value: String) async throws(StoreError) {
        let result = await withCheckedContinuation { continuation in
            setCheckpoint(adapterID: adapterID, key: key, value: value) { continuation.resume(returning: $0) }
        }
        try result.get()
    }

    /// Marks a conversation resolved; the customer's next message without a known thread key then
    /// starts a new conversation. Answers false when there is no such conversation.
    public func resolveConversation(id: String, completion: @escaping @Sendable (Result<Bool, StoreError>) -> Void) {
        submit(.resolveConversation(id: id, completion: completion))
    }

    public func resolveConversation(id: String) async throws(StoreError) -> Bool {
        let result = await withCheckedContinuation { continuation in
            resolveConversation(id: id) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Runs `body` on the writer inside the next group commit and answers after COMMIT. `body`
    /// runs in a savepoint: an error confined to its rows (a constraint) undoes just this write and
    /// is its answer; other errors fail the whole batch. Used by the store's own extensions
    /// (tasks, outbox, tokens) so that each is one file, not a case in the writer.
    func write<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws(StoreError) -> T,
                            completion: @escaping @Sendable (Result<T, StoreError>) -> Void) {
        submit(.custom(run: { writer throws(StoreError) in
            let value = try body(writer)
            return { completion(.success(value)) }
        }, fail: { completion(.failure($0)) }))
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws(StoreError) -> T) async throws(StoreError) -> T {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            write(body) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Tells `listener` about every new (non-duplicate) message after the COMMIT that stored it
    /// (and its fsync), on the thread that runs completions, in commit order: the daemon's task runtime hears of new inquiries
    /// without polling. Keep it quick (hand off to a queue). Pass nil to stop.
    public func setCommitListener(_ listener: (@Sendable ([CommittedMessage]) -> Void)?) {
        commitListener.set(listener)
    }

    private func submit(_ job: WriteJob) {
        if !queue.enqueue(job) { job.fail(.closed) }
    }

    // MARK: Lifecycle

    /// Drains: everything queued is committed and answered, then the writer stops and the
    /// connections close. Later writes and reads answer `.closed`. Safe to call more than once;
    /// called from a completion (the writer's or the syncer's thread) it starts the drain without
    /// waiting for it.
    public func close() {
        queue.close()
        if writerThreads.includesCurrent { return }
        writerRunning.wait()
    }

    /// Set once the disk failed to sync the log: from then on every write is refused until the
    /// daemon restarts (what was on disk is unknown). `/v1/health` reports it.
    public var writeFailure: StoreError? { writeFailureBox.current }

    /// What the writer has done since the store opened.
    public var metrics: StoreMetrics { metricsRecorder.snapshot }
}

/// A new message as committed: its rowid orders commits (ids are only time-sortable).
public struct CommittedMessage: Sendable {
    public var rowID: Int64
    public var outcome: IngestOutcome
    public var message: InboundMessage
}

/// The commit listener, boxed in a class for the same reason as the decider.
final class CommitListenerBox: Sendable {
    private final class Box: Sendable {
        let call: @Sendable ([CommittedMessage]) -> Void
        init(_ call: @escaping @Sendable ([CommittedMessage]) -> Void) { self.call = call }
    }
    private let box = Mutex<Box?>(nil)
    func set(_ listener: (@Sendable ([CommittedMessage]) -> Void)?) { box.withLock { $0 = listener.map(Box.init) } }
    var current: (@Sendable ([CommittedMessage]) -> Void)? { box.withLock { $0 }?.call }
}

/// The first failure that makes the store refuse every write (a failed sync).
final class WriteFailureBox: Sendable {
    private let failure = Mutex<StoreError?>(nil)
    func set(_ error: StoreError) { failure.withLock { if $0 == nil { $0 = error } } }
    var current: StoreError? { failure.withLock { $0 } }
}

/// The store's writer thread and, with `synchronous=FULL`, its syncer thread (`WALSyncer`).
final class StoreThreads: Sendable {
    private let ids = Mutex<[UInt]>([])
    func registerCurrent() { ids.withLock { $0.append(UInt(pthread_self())) } }
    var includesCurrent: Bool {
        let me = UInt(pthread_self())
        return ids.withLock { $0.contains(me) }
    }
}

/// The writer thread's answer to "did the database open and migrate?", waited for by `init`.
private final class StartupSignal: Sendable {
    private let result = Mutex<Result<Void, StoreError>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ outcome: Result<Void, StoreError>) {
        result.withLock { $0 = outcome }
        done.signal()
    }

    func wait() -> Result<Void, StoreError> {
        done.wait()
        return result.withLock { $0 } ?? .failure(StoreError(code: .closed, purpose: "open store", message: "the writer did not start"))
    }
}
