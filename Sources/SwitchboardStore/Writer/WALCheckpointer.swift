import CSQLite
import Dispatch
import Foundation
import Synchronization
import SwitchboardCore

/// Copies the write-ahead log back into the database file on its own thread and connection, so
/// that the writer does not stop for it (with `synchronous=FULL` a checkpoint also fsyncs the
/// database file). SQLite's own auto-checkpoint would run inside the writer's COMMIT.
///
/// The writer's WAL hook reports the log's size after each commit: each time the log has grown by
/// `backgroundPages` the checkpointer is asked to run (a PASSIVE checkpoint, which never blocks
/// the writer); past `inlinePages` the writer checkpoints itself. Under constant load a background
/// checkpoint never quite catches up with the end of the log, and SQLite only starts the log afresh
/// once it has; the inline checkpoint (copying little, as the background one has copied almost
/// everything) does. It still stops the writer for two fsyncs (the log's and the database's: 2 to
/// 12 ms on the test machine), so it should be rare: `inlinePages` is as many frames as fit just
/// under the writer's `journal_size_limit` (`StoreOptions.logSizeLimit`, 64 MiB), which trims the
/// file back when the log restarts. (A log that restarted at 16 MiB stopped the writer four to nine
/// times a second at 16,000 messages/s; at 62 MiB ingest measured about 3 % faster, p99 2.6 rather
/// than 3.3 ms.)
/// While the log is that long no background run is requested, so the inline one does not find
/// the checkpoint lock taken for long.
final class WALCheckpointer: Sendable {
    static let backgroundPages: Int32 = 2_000
    /// The log size (in frames) at which the writer checkpoints itself.
    let inlinePages: Int32

    /// As many frames as `journal_size_limit` (`logSizeLimit`) holds, less room for the batch that
    /// crosses it.
    static func inlinePages(pageSize: Int, logSizeLimit: Int) -> Int32 {
        Int32(max(Int(backgroundPages) * 2, logSizeLimit / (max(512, pageSize) + 24) - 512))
    }

    private let requested = Atomic<Bool>(false)
    /// The log size (in frames) at which the next background checkpoint is asked for, and the
    /// size after the previous commit. Written on the writer thread only (the hook).
    private let nextBackgroundRequest = Atomic<Int32>(WALCheckpointer.backgroundPages)
    private let lastPages = Atomic<Int32>(0)
    private let stopping = Atomic<Bool>(false)
    private let wakeup = DispatchSemaphore(value: 0)
    private let stopped = DispatchGroup()
    private let path: String
    private let options: StoreOptions
    private let logger: Logger

    /// `pageSize`: the database's (each frame in the log is a page and a 24-byte header).
    init(path: String, pageSize: Int, options: StoreOptions, logger: Logger) throws(StoreError) {
        inlinePages = Self.inlinePages(pageSize: pageSize, logSizeLimit: options.logSizeLimit)
        self.path = path
        self.options = options
        self.logger = logger
        // Opened here so that a failure is reported when the store opens, then handed to the thread.
        let connection = Handoff(try Database.openWriter(path: path, options: options))
        stopped.enter()
        let thread = Thread { [self] in
            ThreadName.setCurrent("store-ckpt")
            run(connection.take())
            stopped.leave()
        }
        thread.name = "store-checkpointer"
        thread.start()
    }

    /// Installs the WAL hook on the writer's connection. The hook holds this object unretained:
    /// the writer keeps it alive and calls `uninstall` before letting it go.
    func install(on writer: Database) {
        sqlite3_wal_hook(writer.handle, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    func uninstall(from writer: Database) {
        sqlite3_wal_hook(writer.handle, nil, nil)
    }

    /// Called on the writer thread after each commit with the number of frames in the WAL.
    /// Always answers SQLITE_OK: an error from a WAL hook makes the COMMIT that ran it report
    /// failure although the transaction committed.
    fileprivate func walGrew(to pages: Int32, writer: OpaquePointer?, schema: UnsafePointer<CChar>?) -> Int32 {
        if pages >= inlinePages {
            // Also counts what the background checkpoint already copied: only the tail is work.
            // BUSY means the background checkpoint is running: the next commit tries again.
            let rc = sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            if rc != SQLITE_OK && rc & 0xFF != SQLITE_BUSY {
                logger.warning("WAL checkpoint after commit failed",
                               ["error": StoreError.sqlite(rc, message: String(cString: sqlite3_errstr(rc)),
                                                           purpose: "checkpoint WAL").description])
            }
        } else if pages >= nextBackgroundRequest.load(ordering: .relaxed) {
            // One request per `backgroundPages` of new log: a page rewritten by many commits in
            // between is copied once (2,000 rather than 1,000 halved the checkpointer's writes
            // again: 1.5 -> 0.9 KB and 2.9 -> 1.5 µs per message). (Asking after every commit kept the checkpointer running
            // back to back, copying and fsyncing each commit's pages again: as many bytes as the
            // log itself, a quarter of the daemon's CPU per message.)
            nextBackgroundRequest.store(pages + Self.backgroundPages, ordering: .relaxed)
            if !requested.exchange(true, ordering: .acquiringAndReleasing) { wakeup.signal() }
        }
        if pages < lastPages.load(ordering: .relaxed) {
            // The log started afresh.
            nextBackgroundRequest.store(Self.backgroundPages, ordering: .relaxed)
        }
        lastPages.store(pages, ordering: .relaxed)
        return SQLITE_OK
    }

    /// Stops the thread and waits for it (before the writer's last checkpoint at close).
    func stop() {
        stopping.store(true, ordering: .releasing)
        wakeup.signal()
        stopped.wait()
    }

    private func run(_ db: Database) {
        while true {
            wakeup.wait()
            if stopping.load(ordering: .acquiring) { return }
            requested.store(false, ordering: .releasing)
            let rc = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            if rc != SQLITE_OK && rc & 0xFF != SQLITE_BUSY {
                logger.warning("background WAL checkpoint failed",
                               ["error": db.lastError(rc, purpose: "checkpoint WAL").description])
            }
        }
    }
}

private let walHook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
    context, connection, schema, pages in
    guard let context else { return SQLITE_OK }
    return Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
        .walGrew(to: pages, writer: connection, schema: schema)
}

/// Moves a non-Sendable value to exactly one other thread: created here, taken there once.
final class Handoff<Value>: @unchecked Sendable {
    private var value: Value?
    init(_ value: Value) { self.value = value }
    func take() -> Value {
        defer { value = nil }
        return value!
    }
}
