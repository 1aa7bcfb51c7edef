import Synchronization

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

/// A latency histogram with fixed buckets (Prometheus style: each count is for values at most its
/// bound; the last count is for everything above the last bound). Quantiles are bucket bounds.
public struct LatencyHistogram: Sendable, Hashable {
    /// Upper bounds in seconds: 50 µs to 5 s.
    public static let bounds: [Double] = [
        0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
    ]
    /// `bounds.count + 1` counts, not cumulative.
    public private(set) var counts = [Int](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    public private(set) var count = 0
    /// Sum of all observations in seconds.
    public private(set) var sum: Double = 0

    public init() {}

    mutating func record(seconds: Double, times: Int = 1) {
        var index = 0
        while index < Self.bounds.count, seconds > Self.bounds[index] { index += 1 }
        counts[index] += times
        count += times
        sum += seconds * Double(times)
    }

    /// The bound of the bucket holding quantile `q` (0…1): e.g. `quantile(0.99)`. Values above the
    /// last bound report `.infinity`; an empty histogram reports 0.
    public func quantile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (index, n) in counts.enumerated() {
            seen += n
            if seen >= rank { return index < Self.bounds.count ? Self.bounds[index] : .infinity }
        }
        return .infinity
    }

    public var p50: Double { quantile(0.5) }
    public var p99: Double { quantile(0.99) }
}

/// The writer updates metrics once per transaction; anyone reads a snapshot.
final class MetricsRecorder: Sendable {
    private let state = Mutex(StoreMetrics())

    var snapshot: StoreMetrics { state.withLock { $0 } }

    func update(_ body: (inout StoreMetrics) -> Void) {
        state.withLock { body(&$0) }
    }
}
