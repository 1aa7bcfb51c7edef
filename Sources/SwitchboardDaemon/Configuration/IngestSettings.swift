import SwitchboardCore

/// `ingest`: backpressure. When more messages wait to be committed than the budget allows, new
/// posts get 503 with `Retry-After` and polling adapters pause, so memory stays bounded.
///
///     "ingest": { "backlog_budget": 10000, "retry_after": "5s" }
public struct IngestSettings: Sendable, Hashable {
    /// Messages queued for the store before the daemon answers 503.
    public var backlogBudget: Int
    /// What `Retry-After` tells a client that got 503.
    public var retryAfter: Duration

    public init(backlogBudget: Int = 10_000, retryAfter: Duration = .seconds(5)) {
        self.backlogBudget = backlogBudget
        self.retryAfter = retryAfter
    }

    static func read(_ reader: ConfigReader) -> IngestSettings {
        let defaults = IngestSettings()
        let settings = IngestSettings(
            backlogBudget: reader.int("backlog_budget", default: defaults.backlogBudget, in: 0...10_000_000),
            retryAfter: reader.duration("retry_after", default: defaults.retryAfter, in: .seconds(1) ... .seconds(3600)))
        reader.reportUnknownKeys()
        return settings
    }
}
