import Dispatch
import Foundation
import SwitchboardCore

/// The one thread that writes. It takes everything queued (up to a batch), runs it in ONE
/// transaction, commits (one fsync), and only then calls the completions: concurrent writers
/// share the cost of durability. Not Sendable: it lives and dies on the writer thread.
///
/// With `synchronous=FULL` the fsync is the syncer's (`WALSyncer`): the connection commits with
/// NORMAL, the batch's completions go to the syncer, which runs them after its fdatasync, and the
/// writer opens the next transaction at once, filling it with whatever arrives until the sync in
/// flight is done, then commits. The disk syncing one batch and the writer preparing the next
/// overlap; each batch still has exactly one sync.
///
/// Inside a transaction a write that fails on its own (a constraint, an invalid message) is
/// answered with its error and the rest of the batch commits; a failure of the transaction itself
/// (disk full, I/O error) answers every write in the batch with that error and acknowledges nothing.
final class StoreWriter {
    struct Tally {
        var writes = 0
        var newMessages = 0
        var duplicates = 0
        var itemErrors = 0
    }

    /// Row-count changes made in the current transaction, written to `counters` before COMMIT.
    struct CounterDeltas {
        var messages = 0, contacts = 0, conversations = 0, quarantine = 0
    }

    let db: Database
    let sql: WriterStatements
    let options: StoreOptions
    let logger: Logger
    private let metrics: MetricsRecorder
    private let checkpointer: WALCheckpointer
    /// With `synchronous=FULL`: makes commits durable off this thread (the connection runs NORMAL).
    private let syncer: WALSyncer?

    var cache: WriterCache
    /// Conversations whose last message time and channel changed in this transaction.
    var pendingTouches: [String: (lastMessageAt: Int64, channel: Channel)] = [:]
    var counterDeltas = CounterDeltas()
    /// Whether messages run inside their own savepoint. Savepoints make SQLite copy every page a
    /// message touches into a statement journal (about a fifth of the writer's time), so batches run
    /// without them and only a batch in which a message failed is run again with them.
    var carefulMode = false
    var needsCarefulRetry = false
    /// The clock read once per transaction: every write in a batch shares its time.
    var batchNow = Date()
    var batchMillis: Int64 = 0
    let continuationMillis: Int64
    /// Who hears about new inbound messages after each COMMIT (the daemon's task runtime).
    private let commitListener: CommitListenerBox
    /// Whether to collect `committed` in this batch (a listener is installed).
    var wantsCommitted = false
    /// New messages stored in the current transaction, handed to the listener after COMMIT.
    var committed: [CommittedMessage] = []

    init(path: String, options: StoreOptions, logger: Logger, metrics: MetricsRecorder,
         commitListener: CommitListenerBox, queue: WriteQueue, threads: StoreThreads,
         writeFailure: WriteFailureBox) throws(StoreError) {
        self.commitListener = commitListener
        let syncsItself = options.synchronous == .full
        db = try Database.openWriter(path: path, options: options, syncedElsewhere: syncsItself)
        try Schema.migrator.migrate(db, logger: logger)
        sql = try WriterStatements(db)
        if syncsItself {
            guard let walPath = db.walPath else {
                throw StoreError(code: .filesystem, purpose: "find the write-ahead log of \(path)",
                                 message: "SQLite names no log file for this database",
                                 hint: "the store must be a file on a local filesystem")
            }
            syncer = try WALSyncer(walPath: walPath, logger: logger, threads: threads, sync: options.syncLog,
                                   onFailure: { writeFailure.set($0) }, onSynced: { queue.wake() })
        } else {
            syncer = nil
        }
        do {
            checkpointer = try WALCheckpointer(path: path, pageSize: Int(try db.integerPragma("page_size")),
                                               options: options, logger: logger)
        } catch {
            syncer?.stop()
            throw error
        }
        checkpointer.install(on: db)
        self.options = options
        self.logger = logger
        self.metrics = metrics
        cache = WriterCache(limit: options.writerCacheLimit)
        continuationMillis = Int64((options.continuationWindow * 1000).rounded())
    }

    /// The writer thread's loop: returns once the queue is closed and drained.
    func run(_ queue: WriteQueue) {
        while let batch = queue.takeBatch(maxWeight: max(1, options.maxBatchSize)) {
            process(batch, queue: queue)
        }
        syncer?.stop()
        checkpointer.uninstall(from: db)
        checkpointer.stop()
        // Fold the WAL back into the database so a stopped store is one file.
        do {
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)", purpose: "checkpoint WAL at close")
        } catch {
            logger.warning("could not checkpoint the WAL at close", ["error": error.description])
        }
    }

    private func process(_ taken: [WriteQueue.Entry], queue: WriteQueue) {
        if let failure = syncer?.failure {
            // The disk failed a sync: nothing more is acknowledged until a restart.
            metrics.update { $0.batchErrors += 1 }
            queue.pendingMessages.subtract(taken.reduce(0) { $0 + $1.job.messageCount }, ordering: .relaxed)
            for entry in taken { entry.job.fail(failure) }
            return
        }
        var batch = taken
        let started = DispatchTime.now().uptimeNanoseconds
        cache.trimIfNeeded()
        batchNow = options.now()
        batchMillis = batchNow.storeMilliseconds

        var tally = Tally()
        let listener = commitListener.current
        wantsCommitted = listener != nil
        committed.removeAll(keepingCapacity: true)
        var answers: [() -> Void] = []
        answers.reserveCapacity(batch.count)
        var failure: StoreError?
        var retried = false
        carefulMode = false
        while true {
            do throws(StoreError) {
                try sql.begin.run()
                for entry in batch {
                    tally.writes += entry.job.weight
                    answers.append(try perform(entry.job, &tally))
                }
                // Writes that arrived while these ran join this transaction (and its one fsync)
                // instead of waiting for the next: with many connections each waiting for its
                // answer, this is what lets batches grow. Not on a retry, which re-runs `batch`.
                // With a syncer, the transaction stays open (and keeps taking arrivals) while the
                // previous batch's sync runs: COMMIT now would only wait for the disk behind it.
                while !retried {
                    let late = queue.takeLateArrivals(maxWeight: max(1, options.maxBatchSize) - tally.writes)
                    if late.isEmpty {
                        guard let syncer, syncer.isBusy, tally.writes < options.maxBatchSize, !queue.isClosing else { break }
                        queue.waitForArrivals(timeout: 0.05)
                        continue
                    }
                    batch.append(contentsOf: late)
                    for entry in late {
                        tally.writes += entry.job.weight
                        answers.append(try perform(entry.job, &tally))
                    }
                }
                // A sync failed while this batch gathered: roll it back rather than commit
                // something no one will be told about.
                if let failure = syncer?.failure { throw failure }
                try flushPendingTouches()
                try flushCounters()
                try sql.commit.run()
                try db.flushHeldLog(purpose: "write the end of the committed batch to the log")
            } catch {
                if db.isInTransaction {
                    do { try sql.rollback.run() } catch {
                        logger.error("could not roll back a failed batch", ["error": error.description])
                    }
                }
                cache.removeAll()
                pendingTouches.removeAll()
                counterDeltas = CounterDeltas()
                if needsCarefulRetry && !carefulMode {
                    // A message failed on its own: nothing is lost yet (nothing was answered);
                    // run the batch again with a savepoint per message.
                    needsCarefulRetry = false
                    carefulMode = true
                    retried = true
                    tally = Tally()
                    answers.removeAll(keepingCapacity: true)
                    committed.removeAll(keepingCapacity: true)
                    continue
                }
                failure = error
                logger.error("store batch failed; nothing in it was acknowledged",
                             ["writes": String(tally.writes), "error": error.description])
            }
            break
        }
        let finished = DispatchTime.now().uptimeNanoseconds

        var messageCount = 0
        for entry in batch { messageCount += entry.job.messageCount }
        metrics.update { m in
            m.batches += 1
            m.writes += tally.writes
            m.lastBatchSize = tally.writes
            if retried { m.batchesRetried += 1 }
            if failure == nil {
                m.batchesCommitted += 1
                m.messagesCommitted += tally.newMessages
                m.duplicates += tally.duplicates
                m.itemErrors += tally.itemErrors
            } else {
                m.batchErrors += 1
            }
            m.commitLatency.record(seconds: Double(finished &- started) / 1e9)
            if syncer == nil { Self.recordAcknowledged(batch, at: finished, in: &m) }
        }
        queue.pendingMessages.subtract(messageCount, ordering: .relaxed)

        if let failure {
            for entry in batch { entry.job.fail(failure) }
        } else if let syncer {
            // Answered once the disk has the log: on the syncer's thread, after its fdatasync.
            let newMessages = committed
            committed.removeAll(keepingCapacity: true)
            syncer.committed(WALSyncer.Delivery(
                succeed: { [metrics] in
                    metrics.update { Self.recordAcknowledged(batch, at: DispatchTime.now().uptimeNanoseconds, in: &$0) }
                    for answer in answers { answer() }
                    if let listener, !newMessages.isEmpty { listener(newMessages) }
                },
                fail: { error in for entry in batch { entry.job.fail(error) } }))
        } else {
            for answer in answers { answer() }
            if let listener, !committed.isEmpty {
                listener(committed)
                committed.removeAll(keepingCapacity: true)
            }
        }
    }

    private static func recordAcknowledged(_ batch: [WriteQueue.Entry], at now: UInt64, in m: inout StoreMetrics) {
        for entry in batch {
            m.acknowledgeLatency.record(seconds: Double(now &- entry.enqueuedAt) / 1e9, times: entry.job.weight)
        }
    }

    /// Performs one job inside the open transaction and returns how to answer it after COMMIT.
    /// Throws only errors that doom the whole transaction.
    private func perform(_ job: WriteJob, _ tally: inout Tally) throws(StoreError) -> () -> Void {
        switch job {
        case .ingest(let messages, let completion):
            var results: [Result<IngestOutcome, StoreError>] = []
            results.reserveCapacity(messages.count)
            for message in messages {
                results.append(try ingest(message, &tally))
            }
            return { completion(results) }

        case .quarantine(let adapterID, let errorCode, let errorMessage, let raw, let completion):
            let result = try confined(&tally) { () throws(StoreError) -> String in
                let id = SortableID.make("qt", now: batchNow)
                let s = sql.insertQuarantine
                try s.bind(id, at: 1)
                try s.bind(adapterID, at: 2)
                try s.bind(batchMillis, at: 3)
                try s.bind(errorCode, at: 4)
                try s.bind(errorMessage, at: 5)
                try s.bind(raw, at: 6)
                try s.run()
                counterDeltas.quarantine += 1
                return id
            }
            return { completion(result) }

        case .setCheckpoint(let adapterID, let key, let value, let completion):
            let result = try confined(&tally) { () throws(StoreError) -> Void in
                try upsertCheckpoint(adapterID: adapterID, key: key, value: value)
            }
            return { completion(result) }

        case .resolveConversation(let id, let completion):
            let result = try confined(&tally) { () throws(StoreError) -> Bool in try setConversation(id, open: false) }
            return { completion(result) }

        case .custom(let run, let fail):
            // A savepoint, so that a write of several statements refused half-way leaves nothing.
            try sql.savepoint.run()
            do throws(StoreError) {
                let answer = try run(self)
                try sql.releaseSavepoint.run()
                return answer
            } catch where error.isConfinedToRow && db.isInTransaction {
                try sql.rollbackToSavepoint.run()
                try sql.releaseSavepoint.run()
                tally.itemErrors += 1
                logger.warning("store write refused", ["error": error.description])
                return { fail(error) }
            }
        }
    }

    /// Runs a single-statement write: an error confined to its row (SQLite rolled that statement
    /// back) becomes its answer; anything else dooms the transaction.
    private func confined<T>(_ tally: inout Tally, _ body: () throws(StoreError) -> T) throws(StoreError) -> Result<T, StoreError> {
        do throws(StoreError) {
            return .success(try body())
        } catch where error.isConfinedToRow && db.isInTransaction {
            tally.itemErrors += 1
            logger.warning("store write refused", ["error": error.description])
            return .failure(error)
        }
    }

    func flushPendingTouches() throws(StoreError) {
        guard !pendingTouches.isEmpty else { return }
        let s = sql.touchConversation
        for (id, touch) in pendingTouches {
            try s.bind(id, at: 1)
            try s.bind(touch.channel.rawValue, at: 2)
            try s.bind(touch.lastMessageAt, at: 3)
            try s.run()
            try sql.reopenConversation.bind(id, at: 1)
            try sql.reopenConversation.run()
        }
        pendingTouches.removeAll(keepingCapacity: true)
    }

    private func flushCounters() throws(StoreError) {
        let deltas = counterDeltas
        counterDeltas = CounterDeltas()
        for (name, delta) in [("messages", deltas.messages), ("contacts", deltas.contacts),
                              ("conversations", deltas.conversations), ("quarantine", deltas.quarantine)] where delta != 0 {
            try sql.addToCounter.bind(name, at: 1)
            try sql.addToCounter.bind(delta, at: 2)
            try sql.addToCounter.run()
        }
    }
}
