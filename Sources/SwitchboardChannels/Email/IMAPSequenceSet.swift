/// A set of IMAP UIDs in the compact wire form `1:5,7,10:12` (RFC 3501 `sequence-set`), as
/// commands take them and ESEARCH answers them. Keeps commands short on a 20,000-mail mailbox.
public struct IMAPSequenceSet: Sendable, Hashable, CustomStringConvertible {
    /// Sorted, disjoint, non-adjacent ranges.
    public private(set) var ranges: [ClosedRange<UInt32>]

    public init<S: Sequence>(_ uids: S) where S.Element == UInt32 {
        var result: [ClosedRange<UInt32>] = []
        for uid in uids.sorted() {
            if let last = result.last {
                if uid <= last.upperBound { continue }
                if uid == last.upperBound + 1 {
                    result[result.count - 1] = last.lowerBound...uid
                    continue
                }
            }
            result.append(uid...uid)
        }
        ranges = result
    }

    public init(ranges: [ClosedRange<UInt32>]) {
        self.ranges = Self.merge(ranges)
    }

    /// Parses `1:5,7`. A `*` is not allowed here (a set this type holds is always concrete).
    public init?(parsing text: String) {
        var uids: [ClosedRange<UInt32>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let a = UInt32(bounds[0]), a > 0 else { return nil }
            let b = bounds.count == 2 ? UInt32(bounds[1]) : a
            guard let b, b > 0 else { return nil }
            uids.append(min(a, b)...max(a, b))
        }
        guard !uids.isEmpty else { return nil }
        ranges = Self.merge(uids)
    }

    private static func merge(_ input: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        for range in input.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound || range.lowerBound == last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    public var isEmpty: Bool { ranges.isEmpty }
    public var count: Int { ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 } }
    public var uids: [UInt32] { ranges.flatMap { Array($0) } }
    public func contains(_ uid: UInt32) -> Bool { ranges.contains { $0.contains(uid) } }

    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound):\($0.upperBound)" }
            .joined(separator: ",")
    }
}
