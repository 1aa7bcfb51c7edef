import Foundation
import SwitchboardCore
#if canImport(Glibc)
import Glibc
#endif

/// Makes `synchronous=FULL` commits durable off the writer thread, so that the disk syncing one
/// batch and the writer preparing the next overlap.
///
/// SQLite with FULL calls fsync inside COMMIT, on the writer thread: while the disk answers
/// (0.2–0.4 ms here) nothing else is written, and the connections waiting for their answers take
/// turns in two groups. With this syncer the writer's connection runs with NORMAL (COMMIT writes
/// the log and returns), and hands each batch's answers here; this thread fdatasyncs the
/// write-ahead log and only then runs them. Meanwhile the writer opens the next transaction and
/// fills it with whatever arrives, and commits it only once the sync in flight has finished
/// (`isBusy`): one sync per batch, batches as large as the disk's pace makes them.
///
/// What is acknowledged is as durable as with SQLite's FULL: an answer runs only after an
/// fdatasync that started after its COMMIT returned and after the writer flushed what the WAL
/// shim held (`Database.flushHeldLog`), and an fdatasync covers every write made to the file
/// before it started (the file SQLite names, `Database.walPath`, not a path rebuilt by hand).
/// SQLite itself syncs the log before a checkpoint copies it into the database, and syncs the
/// database before the log is started afresh. Answers run in commit order.
///
/// If an fdatasync fails, what the disk holds is unknown, and a later successful sync would not
/// make it whole (the kernel may have dropped the failed pages): from then on nothing is
/// acknowledged (every waiting and every later write fails with the error) until the daemon is
/// restarted, when SQLite recovers the log up to its last good frame.
final class WALSyncer: @unchecked Sendable {
    /// A committed batch's answers: `succeed` once durable, or `fail` if the sync failed. Run on
    /// the syncer's thread, one batch after the other in commit order.
    struct Delivery {
        let succeed: () -> Void
        let fail: (StoreError) -> Void
    }

    // `state` is only touched with `condition` held (hence @unchecked Sendable).
    private struct State {
        var waiting: [Delivery] = []
        var syncing = false
        var failure: StoreError?
        var stopping = false
    }

    private let fd: Int32
    private let walPath: String
    private let logger: Logger
    private let condition = NSCondition()
    private var state = State()
    private let finished = DispatchGroup()
    /// Called (on the syncer's thread) after each sync: the writer waits for it before COMMIT.
    private let onSynced: @Sendable () -> Void
    private let sync: @Sendable (Int32) -> Int32
    /// Told of the first failure (the store's `writeFailure`, which /v1/health reports).
    private let onFailure: @Sendable (StoreError) -> Void

    /// Opens the write-ahead log at `walPath` (SQLite's name for it: `Database.walPath`; SQLite
    /// has created it by the time the writer has read the schema), syncs it once (what the
    /// migrations wrote) and starts the thread. `sync` is `fdatasync` (tests pass one that fails).
    init(walPath: String, logger: Logger, threads: StoreThreads,
         sync: @escaping @Sendable (Int32) -> Int32 = { fdatasync($0) },
         onFailure: @escaping @Sendable (StoreError) -> Void = { _ in },
         onSynced: @escaping @Sendable () -> Void) throws(StoreError) {
        self.walPath = walPath
        // Never created here: a log that is not where SQLite keeps it would be synced in vain.
        let fd = open(walPath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw StoreError(code: .filesystem, purpose: "open the write-ahead log \(walPath) to sync it",
                             message: String(cString: strerror(errno)),
                             hint: "SQLite keeps the log next to the database; the daemon's user needs read and write access to both and to their directory")
        }
        guard sync(fd) == 0 else {
            let code = errno
            close(fd)
            throw StoreError(code: .filesystem, purpose: "sync the write-ahead log \(walPath)",
                             message: String(cString: strerror(code)),
                             hint: "the disk refused to make writes durable: check the disk and the kernel log (dmesg)")
        }
        self.fd = fd
        self.logger = logger
        self.sync = sync
        self.onFailure = onFailure
        self.onSynced = onSynced
        finished.enter()
        let thread = Thread { [self] in
            ThreadName.setCurrent("store-sync")
            threads.registerCurrent()
            run()
            finished.leave()
        }
        thread.name = "store-sync"
        thread.start()
    }

    /// The first sync failure: the writer answers every later batch with it without running it.
    var failure: StoreError? {
        condition.lock(); defer { condition.unlock() }
        return state.failure
    }

    /// Whether a sync is running or committed batches wait for one: the writer keeps its next
    /// transaction open (taking late arrivals) until this is false.
    var isBusy: Bool {
        condition.lock(); defer { condition.unlock() }
        return state.syncing || !state.waiting.isEmpty
    }

    /// Called by the writer right after each COMMIT, in commit order.
    func committed(_ delivery: Delivery) {
        condition.lock()
        if let failure = state.failure {
            condition.unlock()
            return delivery.fail(failure)
        }
        state.waiting.append(delivery)
        condition.signal()
        condition.unlock()
    }

    /// Syncs and answers everything committed so far, then stops the thread and closes the log.
    /// A second call returns at once.
    func stop() {
        condition.lock()
        let first = !state.stopping
        state.stopping = true
        condition.signal()
        condition.unlock()
        // Only the first call closes the log's descriptor: closing a number twice closes whatever
        // was opened under it in between (another store's database, a client's socket).
        guard first else { return }
        finished.wait()
        close(fd)
    }

    private func run() {
        while true {
            condition.lock()
            while state.waiting.isEmpty && !state.stopping { condition.wait() }
            if state.waiting.isEmpty {
                condition.unlock()
                return
            }
            let taken = state.waiting
            state.waiting.removeAll(keepingCapacity: true)
            state.syncing = true
            condition.unlock()

            let failed: StoreError? = sync(fd) == 0 ? nil : syncFailed(errno)

            condition.lock()
            let first = failed != nil && state.failure == nil
            if first { state.failure = failed }
            let failure = state.failure
            state.syncing = false
            condition.unlock()
            if first, let failure { onFailure(failure) }
            // The writer first: it commits what it gathered meanwhile while these answers go out.
            onSynced()
            for delivery in taken {
                if let failure { delivery.fail(failure) } else { delivery.succeed() }
            }
        }
    }

    private func syncFailed(_ code: Int32) -> StoreError {
        let error = StoreError(code: .filesystem, purpose: "sync the write-ahead log \(walPath)",
                               message: String(cString: strerror(code)),
                               hint: "the disk refused to make writes durable, so nothing more is acknowledged: check the disk and the kernel log (dmesg), then restart the daemon (SQLite recovers the log up to its last good write)")
        logger.error("store: syncing the write-ahead log failed; every write is refused until the daemon restarts",
                     ["path": walPath, "errno": String(code), "error": error.description])
        return error
    }
}
