import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A token bucket per client address: `rate` tokens a second, at most `burst` saved up. Asking
/// costs one token; with none left the answer says how long until the next one, for a
/// `429 Too Many Requests` with `Retry-After`.
///
/// Memory is bounded: at most `maxClients` buckets are kept; when full, buckets that have
/// refilled (clients that went quiet) are dropped first, and if every bucket is busy the
/// oldest half is dropped: a flood from many addresses costs them their history, never memory.
/// Quick enough to run on the event loop for every request (one lock, one dictionary look-up).
public final class ClientRateLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; retry after this many whole seconds (at least 1).
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    public let rate: Double
    public let burst: Double
    public let maxClients: Int
    private let clock: @Sendable () -> UInt64
    private let buckets = Mutex<[String: Bucket]>([:])

    /// - Parameters:
    ///   - rate: tokens per second (> 0).
    ///   - burst: bucket size (≥ 1).
    ///   - clock: monotonic nanoseconds, injectable for tests.
    public init(rate: Double, burst: Double, maxClients: Int = 100_000,
                clock: @escaping @Sendable () -> UInt64 = ClientRateLimiter.monotonicNanoseconds) {
        precondition(rate > 0 && burst >= 1)
        self.rate = rate
        self.burst = burst
        self.maxClients = max(1, maxClients)
        self.clock = clock
    }

    /// Takes one token for `client`.
    public func take(_ client: String) -> Decision {
        let now = clock()
        return buckets.withLock { table in
            var bucket = table[client] ?? Bucket(tokens: burst, updated: now)
            let elapsed = Double(now &- bucket.updated) / 1e9
            if now > bucket.updated { bucket.tokens = min(burst, bucket.tokens + elapsed * rate) }
            bucket.updated = max(bucket.updated, now)
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                if table[client] == nil && table.count >= maxClients { prune(&table, now: now) }
                table[client] = bucket
                return .allowed
            }
            table[client] = bucket
            let wait = (1 - bucket.tokens) / rate
            return .limited(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
        }
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Clients with a bucket in memory.
    public var trackedClients: Int { buckets.withLock { $0.count } }

    private func prune(_ table: inout [String: Bucket], now: UInt64) {
        let fullAfter = UInt64(burst / rate * 1e9)
        table = table.filter { now &- $0.value.updated < fullAfter }
        if table.count >= maxClients {
            let keep = table.sorted { $0.value.updated > $1.value.updated }.prefix(maxClients / 2)
            table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
