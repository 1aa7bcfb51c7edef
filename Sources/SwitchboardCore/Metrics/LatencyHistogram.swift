/// A latency histogram with fixed buckets (Prometheus style: each count is for values at most its
/// bound; the last count is for everything above the last bound). Quantiles are bucket bounds.
/// The store's commit and acknowledgement latencies and the HTTP server's request latency use it;
/// `/metrics` shows them as Prometheus histograms.
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

    public mutating func record(seconds: Double, times: Int = 1) {
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
