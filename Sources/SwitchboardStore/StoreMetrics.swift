import Synchronization
import SwitchboardCore

/// What the writer has done since the store opened: a snapshot for `/metrics` and the status page.
public struct StoreMetrics: Sendable, Hashable {
    /// Transactions committed (each holds one or more writes).
    public var batchesCommitted = 0
    /// New messages stored (duplicates not included).
    public var messagesCommitted = 0
    /// Messages answered as duplicates of one already stored.
    public var duplicates = 0
    /// Single writes refused on their own (a constraint, an invalid message) while their batch committed.
    public var itemErrors = 0
    /// Transactions that failed as a whole (disk full, I/O error): every write in them was refused.
    public var batchErrors = 0
    /// Batches run a second time, with a savepoint per message, because one message failed alone.
    public var batchesRetried = 0
    /// Writes (messages, quarantine entries, checkpoints...) in the last transaction.
    public var lastBatchSize = 0
    /// Writes per transaction over all transactions, committed or failed.
    public var averageBatchSize: Double { batches == 0 ? 0 : Double(writes) / Double(batches) }
    /// Time from BEGIN to the end of COMMIT: with `synchronous=FULL` it includes the time the
    /// batch was held open for the previous batch's fsync and not its own (see `acknowledgeLatency`).
    public var commitLatency = LatencyHistogram()
    /// Time from the moment a write was queued to the moment its completion was called.
    public var acknowledgeLatency = LatencyHistogram()

    var batches = 0
    var writes = 0

    public init() {}
}

/// The writer updates metrics once per transaction; anyone reads a snapshot.
final class MetricsRecorder: Sendable {
    private let state = Mutex(StoreMetrics())

    var snapshot: StoreMetrics { state.withLock { $0 } }

    func update(_ body: (inout StoreMetrics) -> Void) {
        state.withLock { body(&$0) }
    }
}
