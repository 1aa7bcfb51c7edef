import SwitchboardCore

/// `outbox`: how everything Switchboard sends is retried and when it is given up
/// (docs/outbox.md).
///
///     "outbox": { "max_attempts": 10, "max_age": "24h", "backoff_min": "2s", "backoff_max": "30m",
///                 "workers": 4, "per_adapter": 2, "poll_interval": "30s" }
public struct OutboxSettings: Sendable, Hashable {
    public var retry: OutboxRetryPolicy
    /// Threads that send (libcurl blocks; each attempt holds one).
    public var workers: Int
    /// Attempts in flight at once per adapter (one SMTP server or provider account).
    public var perAdapter: Int
    /// How often the worker looks at the store even when nothing woke it (a safety net: enqueues
    /// and the earliest due time wake it anyway).
    public var pollInterval: Duration

    public init(retry: OutboxRetryPolicy = OutboxRetryPolicy(), workers: Int = 4, perAdapter: Int = 2,
                pollInterval: Duration = .seconds(30)) {
        self.retry = retry
        self.workers = workers
        self.perAdapter = perAdapter
        self.pollInterval = pollInterval
    }

    static func read(_ reader: ConfigReader) -> OutboxSettings {
        let d = OutboxSettings()
        guard reader.isPresent, reader.expectObject() else { return d }
        let attempts = reader.int("max_attempts", default: d.retry.maxAttempts, in: 1...1000)
        let maxAge = reader.duration("max_age", default: d.retry.maxAge, in: .seconds(1) ... .seconds(30 * 86_400))
        let minimum = reader.duration("backoff_min", default: d.retry.minimumDelay, in: .milliseconds(10) ... .seconds(3600))
        let maximum = reader.duration("backoff_max", default: d.retry.maximumDelay, in: .milliseconds(10) ... .seconds(86_400))
        if maximum < minimum {
            reader.report(.conflict, "backoff_max is shorter than backoff_min", hint: "make backoff_max at least backoff_min", key: "backoff_max")
        }
        let workers = reader.int("workers", default: d.workers, in: 1...64)
        let perAdapter = reader.int("per_adapter", default: d.perAdapter, in: 1...64)
        let poll = reader.duration("poll_interval", default: d.pollInterval, in: .milliseconds(100) ... .seconds(3600))
        reader.reportUnknownKeys()
        return OutboxSettings(retry: OutboxRetryPolicy(maxAttempts: attempts, maxAge: maxAge, minimumDelay: minimum, maximumDelay: maximum),
                              workers: workers, perAdapter: perAdapter, pollInterval: poll)
    }
}
