/// How long the IMAP poller and the SMTP sender wait before the next attempt after failures:
/// doubling from `minimum` up to `maximum`, with "equal jitter" (half fixed, half random) so
/// that many adapters failing together do not retry in step. Bounded: a server down for an hour costs a retry every
/// `maximum` at most, and the first success resets the count.
public struct EmailAdapterBackoff: Sendable, Hashable {
    public var minimum: Duration
    public var maximum: Duration

    public init(minimum: Duration, maximum: Duration) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
    }

    /// The cap for the `attempt`-th consecutive failure (1-based), before jitter.
    public func ceiling(attempt: Int) -> Duration {
        var delay = minimum
        var k = 1
        while k < attempt && delay < maximum {
            delay = delay * 2
            k += 1
        }
        return min(delay, maximum)
    }

    /// The delay for the `attempt`-th failure; `random` in [0, 1) picks the jitter.
    public func delay(attempt: Int, random: Double) -> Duration {
        let ceiling = ceiling(attempt: attempt)
        return ceiling / 2 + ceiling * (0.5 * min(max(random, 0), 1))
    }
}
