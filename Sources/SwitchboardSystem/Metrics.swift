import Synchronization
import SwitchboardCore

/// One metric family in the Prometheus text exposition format (version 0.0.4).
public struct MetricFamily: Sendable {
    public enum Kind: String, Sendable { case counter, gauge, histogram, summary, untyped }
    public struct Sample: Sendable {
        public var suffix: String
        public var labels: [(String, String)]
        public var value: Double
        public init(suffix: String = "", labels: [(String, String)] = [], value: Double) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [Sample]

    public init(name: String, help: String, kind: Kind, samples: [Sample]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }

    public static func single(_ name: String, _ help: String, _ kind: Kind, _ value: Double, labels: [(String, String)] = []) -> MetricFamily {
        MetricFamily(name: name, help: help, kind: kind, samples: [Sample(labels: labels, value: value)])
    }

    /// A Prometheus histogram from per-bucket counts: `counts[i]` observations were at most
    /// `bounds[i]` (and above the bound before), and `counts[bounds.count]` were above the last
    /// bound. Rendered as cumulative `_bucket{le=…}` samples ending with `le="+Inf"`, then `_sum`
    /// and `_count`.
    public static func histogram(_ name: String, _ help: String, bounds: [Double], counts: [Int], sum: Double,
                                 labels: [(String, String)] = []) -> MetricFamily {
        precondition(counts.count == bounds.count + 1, "a histogram has one count per bound and one above them")
        var samples: [Sample] = []
        samples.reserveCapacity(bounds.count + 3)
        var cumulative = 0
        for (index, count) in counts.enumerated() {
            cumulative += count
            let le = index < bounds.count ? String(bounds[index]) : "+Inf"
            samples.append(Sample(suffix: "_bucket", labels: labels + [("le", le)], value: Double(cumulative)))
        }
        samples.append(Sample(suffix: "_sum", labels: labels, value: sum))
        samples.append(Sample(suffix: "_count", labels: labels, value: Double(cumulative)))
        return MetricFamily(name: name, help: help, kind: .histogram, samples: samples)
    }

    /// The same for a `LatencyHistogram` (seconds).
    public static func histogram(_ name: String, _ help: String, _ latency: LatencyHistogram, labels: [(String, String)] = []) -> MetricFamily {
        histogram(name, help, bounds: LatencyHistogram.bounds, counts: latency.counts, sum: latency.sum, labels: labels)
    }
}

/// Collects metric families from the components that own the numbers (HTTP server, store,
/// adapters) at scrape time, so nothing on a hot path does more than bump its own atomics.
public final class MetricsRegistry: Sendable {
    public typealias Collector = @Sendable () -> [MetricFamily]
    private let collectors = Mutex<[(String, Collector)]>([])

    public init() {}

    /// Registers (or replaces, by key) a collector; adapters re-register on reload.
    public func register(_ key: String, _ collector: @escaping Collector) {
        collectors.withLock { list in
            list.removeAll { $0.0 == key }
            list.append((key, collector))
        }
    }

    public func unregister(_ key: String) {
        collectors.withLock { list in list.removeAll { $0.0 == key } }
    }

    public func collect() -> [MetricFamily] {
        let current = collectors.withLock { $0 }
        return current.flatMap { $0.1() }
    }

    /// The text exposition format; families with the same name from several collectors are merged.
    public func render() -> String {
        var order: [String] = []
        var merged: [String: MetricFamily] = [:]
        for family in collect() {
            if var existing = merged[family.name] {
                existing.samples += family.samples
                merged[family.name] = existing
            } else {
                merged[family.name] = family
                order.append(family.name)
            }
        }
        var out = ""
        for name in order {
            guard let family = merged[name] else { continue }
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                out += name + sample.suffix
                if !sample.labels.isEmpty {
                    out += "{"
                    out += sample.labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",")
                    out += "}"
                }
                out += " " + Self.format(sample.value) + "\n"
            }
        }
        return out
    }

    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for ch in value {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
