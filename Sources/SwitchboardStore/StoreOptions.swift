import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the store trades durability, memory and latency, and the clock it reads.
public struct StoreOptions: Sendable {
    /// SQLite's `synchronous` setting in WAL mode.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// A commit survives a crash of the process but may be lost on power loss.
        case normal = "NORMAL"
        /// Every commit is fsynced before it is acknowledged: survives power loss. Group commit
        /// shares one fsync among every message in a batch, which keeps this fast, and the fsync
        /// runs on its own thread while the writer prepares the next batch (`WALSyncer`).
        case full = "FULL"
        /// SQLite's EXTRA (in WAL mode as `full`, with its extra directory syncs); SQLite fsyncs
        /// inside COMMIT on the writer thread (no overlap with the next batch).
        case extra = "EXTRA"
    }

    public var synchronous: Synchronous
    /// How long a connection waits for a lock held by another process before failing.
    public var busyTimeout: TimeInterval
    /// A message with no known thread key joins its contact's most recent open conversation when
    /// that conversation's last message is at most this old; otherwise it starts a new one.
    /// This is how a customer who moves from chat to email keeps their thread.
    public var continuationWindow: TimeInterval
    /// The most messages (plus other writes) the writer puts into one transaction.
    public var maxBatchSize: Int
    /// Read-only connections kept open for reads; more are opened on demand and closed after use.
    public var readerConnections: Int
    /// Entries the writer keeps in each of its in-memory lookups (identity → contact, ...)
    /// before it starts them afresh.
    public var writerCacheLimit: Int
    /// When set, the database refuses to grow past this many bytes: a batch that would is
    /// failed as a whole with SQLITE_FULL (nothing acknowledged) instead of filling the disk.
    public var maxDatabaseBytes: Int64?
    /// Delivery receipts that arrive before the outbox has recorded the provider's id of the send
    /// they report (a provider may call back before it answers the send request) are kept until
    /// that id is recorded: at most this many (the oldest go first) ...
    public var earlyReceiptLimit: Int
    /// ... and for at most this long. The race they cover lasts milliseconds to a send timeout;
    /// the bounds keep receipts for messages sent by others (a shared provider account) from piling up.
    public var earlyReceiptMaxAge: TimeInterval
    /// SQLite's page size for a database this store creates (an existing one keeps its own).
    /// Each message dirties a page in several indexes at scattered places (identity, dedupe key,
    /// contact and conversation lookups), and each dirtied page is written whole to the log at
    /// COMMIT and synced: 2,048-byte pages write about half the bytes per message of the
    /// default 4,096, which made durable ingest about 12 % faster here (1,024 was slower again:
    /// deeper trees, more overflow pages for mail bodies).
    public var pageSize: Int
    /// The clock for `received_at`, new ids and the continuation window. Tests inject their own.
    public var now: @Sendable () -> Date
    /// The size the write-ahead log file is trimmed back to when the log restarts
    /// (`journal_size_limit`); the writer checkpoints itself just before the log reaches it (see
    /// `WALCheckpointer`). Tests use a small one.
    var logSizeLimit = 64 << 20
    /// How `synchronous=FULL` syncs the log (`fdatasync`); tests inject a failing disk.
    var syncLog: @Sendable (Int32) -> Int32 = { fdatasync($0) }

    public init(synchronous: Synchronous = .full,
                busyTimeout: TimeInterval = 5,
                continuationWindow: TimeInterval = 24 * 60 * 60,
                maxBatchSize: Int = 512,
                readerConnections: Int = 4,
                writerCacheLimit: Int = 100_000,
                maxDatabaseBytes: Int64? = nil,
                earlyReceiptLimit: Int = 10_000,
                earlyReceiptMaxAge: TimeInterval = 60 * 60,
                pageSize: Int = 2048,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.synchronous = synchronous
        self.busyTimeout = busyTimeout
        self.continuationWindow = continuationWindow
        self.maxBatchSize = maxBatchSize
        self.readerConnections = readerConnections
        self.writerCacheLimit = writerCacheLimit
        self.maxDatabaseBytes = maxDatabaseBytes
        self.pageSize = pageSize
        self.earlyReceiptLimit = earlyReceiptLimit
        self.earlyReceiptMaxAge = earlyReceiptMaxAge
        self.now = now
    }
}
