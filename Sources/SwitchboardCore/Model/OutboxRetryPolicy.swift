import Foundation

/// When a failed delivery is tried again, and when the outbox gives up: exponential backoff with
/// jitter between `minimumDelay` and `maximumDelay`, the far side's Retry-After honoured (never
/// earlier than it asked), at most `maxAttempts` attempts and at most `maxAge` since the row
/// entered the queue. Pure: the clock and the random number are inputs, so tests need no waiting.
public struct OutboxRetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var maxAge: Duration
    public var minimumDelay: Duration
    public var maximumDelay: Duration

    public init(maxAttempts: Int = 10, maxAge: Duration = .seconds(86_400), minimumDelay: Duration = .seconds(2),
                maximumDelay: Duration = .seconds(1800)) {
        self.maxAttempts = max(1, maxAttempts)
        self.maxAge = maxAge
        self.minimumDelay = minimumDelay
        self.maximumDelay = max(maximumDelay, minimumDelay)
    }

    public enum Decision: Sendable, Hashable {
        case retry(at: Date)
        /// Out of attempts or out of time: dead-letter with this reason.
        case giveUp(reason: String)
    }

    /// The wait after failed attempt `attempt` (1-based) when the far side named none:
    /// min·2^(attempt−1), capped at max, then "equal jitter" (between half and all of it, so that
    /// rows that failed together do not all come back in the same second). `random` is in [0, 1).
    public func backoff(afterAttempt attempt: Int, random: Double) -> Duration {
        let exponent = min(30, max(0, attempt - 1))
        let base = min(seconds(minimumDelay) * Double(1 << exponent), seconds(maximumDelay))
        let jittered = base / 2 + base / 2 * min(max(random, 0), 1)
        return .milliseconds(Int64((max(jittered, seconds(minimumDelay)) * 1000).rounded()))
    }

    /// What happens after a temporary failure of attempt `attempt` at `now`, for a row that entered
    /// the queue at `queuedAt`. A Retry-After is honoured as given (never shortened, not capped
    /// by `maximumDelay`: the far side knows best), but not past `maxAge`.
    public func afterTemporaryFailure(attempt: Int, queuedAt: Date, now: Date, retryAfter: Duration?, random: Double,
                                      reason: String) -> Decision {
        if attempt >= maxAttempts {
            return .giveUp(reason: "gave up after \(attempt) attempts; last answer: \(reason)")
        }
        let wait = retryAfter.map { max($0, .zero) } ?? backoff(afterAttempt: attempt, random: random)
        let next = now.addingTimeInterval(seconds(wait))
        if next.timeIntervalSince(queuedAt) > seconds(maxAge) {
            return .giveUp(reason: "gave up after \(attempt) attempts: the next one would be past max_age (\(Self.describe(maxAge))); last answer: \(reason)")
        }
        return .retry(at: next)
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func describe(_ d: Duration) -> String {
        let s = d.components.seconds
        if s % 86_400 == 0 && s > 0 { return "\(s / 86_400)d" }
        if s % 3600 == 0 && s > 0 { return "\(s / 3600)h" }
        if s % 60 == 0 && s > 0 { return "\(s / 60)m" }
        return "\(s)s"
    }
}
