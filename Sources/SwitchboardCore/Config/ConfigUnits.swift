/// The text forms an admin writes for durations, byte sizes and file modes, parsed and printed
/// the same way everywhere in the configuration.
///
/// - durations: `"250ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"2d"`, `"1.5h"`, or a JSON number of seconds;
/// - byte sizes: `"512"`, `"16KiB"`, `"1MiB"`, `"2GiB"` (powers of 1024), `"100kB"`, `"10MB"`
///   (powers of 1000), or a JSON number of bytes;
/// - file modes: an octal string, `"0660"` or `"660"`.
public enum ConfigUnits {
    // MARK: Durations

    private static let durationUnits: [(name: String, nanoseconds: Int64)] = [
        ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000),
        ("s", 1_000_000_000), ("ms", 1_000_000),
    ]

    /// Parses `"1h30m"`-style text. Units must appear largest first, each at most once.
    /// Returns nil for anything else, negative values included.
    public static func parseDuration(_ text: String) -> Duration? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes == [UInt8(ascii: "0")] { return .zero }
        var k = 0
        var total: Int64 = 0
        var lastUnitIndex = -1
        while k < bytes.count {
            guard let (whole, fraction, next) = scanNumber(bytes, from: k) else { return nil }
            k = next
            var unitEnd = k
            while unitEnd < bytes.count, bytes[unitEnd] >= UInt8(ascii: "a"), bytes[unitEnd] <= UInt8(ascii: "z") { unitEnd += 1 }
            let unit = String(decoding: bytes[k..<unitEnd], as: UTF8.self)
            guard let unitIndex = durationUnits.firstIndex(where: { $0.name == unit }), unitIndex > lastUnitIndex else {
                return nil
            }
            lastUnitIndex = unitIndex
            let scale = durationUnits[unitIndex].nanoseconds
            let (wholePart, overflow) = whole.multipliedReportingOverflow(by: scale)
            guard !overflow else { return nil }
            let fractionPart = Int64((fraction * Double(scale)).rounded())
            let (sum, sumOverflow) = total.addingReportingOverflow(wholePart)
            guard !sumOverflow else { return nil }
            total = sum &+ fractionPart
            k = unitEnd
        }
        return .nanoseconds(total)
    }

    /// A number of seconds (a JSON number in the file) as a duration; nil when negative or too large.
    public static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds < 9.2e9 else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// The shortest text that parses back: `"1h30m"`, `"250ms"`, `"0"`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return "\(seconds)s" }
        var remaining = whole + attoseconds / 1_000_000_000
        guard remaining > 0 else { return "0" }
        var out = ""
        for unit in durationUnits where remaining >= unit.nanoseconds {
            out += "\(remaining / unit.nanoseconds)\(unit.name)"
            remaining %= unit.nanoseconds
        }
        if remaining > 0 { out += "\(remaining)ns" }
        return out
    }

    // MARK: Byte sizes

    private static let sizeUnits: [String: Int64] = [
        "": 1, "b": 1,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
        "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
    ]

    /// Parses `"16KiB"`, `"1 MiB"`, `"10MB"`, `"512"`. Units are case-insensitive; fractions round down.
    public static func parseByteSize(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard let (whole, fraction, next) = scanNumber(bytes, from: 0) else { return nil }
        var k = next
        if k < bytes.count, bytes[k] == UInt8(ascii: " ") { k += 1 }
        let unit = String(decoding: bytes[k...], as: UTF8.self).lowercased()
        guard let scale = sizeUnits[unit], unit.allSatisfy(\.isLetter) else { return nil }
        let (wholePart, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        let total = wholePart + Int64((fraction * Double(scale)).rounded(.down))
        return Int(exactly: total)
    }

    /// `"1 MiB"` when the size is a whole number of KiB, MiB or GiB, else `"1500 bytes"`.
    public static func formatByteSize(_ size: Int) -> String {
        for (name, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where size >= scale && size % scale == 0 {
            return "\(size / scale) \(name)"
        }
        return size == 1 ? "1 byte" : "\(size) bytes"
    }

    // MARK: File modes

    /// Parses an octal permission string: `"0660"`, `"660"`, `"0o660"`, up to `"7777"`.
    public static func parseFileMode(_ text: String) -> UInt32? {
        var digits = Substring(text)
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") { digits = digits.dropFirst(2) }
        guard (3...4).contains(digits.count), digits.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
        return UInt32(digits, radix: 8)
    }

    /// `"0660"`.
    public static func formatFileMode(_ mode: UInt32) -> String {
        let text = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    // MARK: Shared

    /// Digits with an optional fraction: returns the whole part, the fraction as a Double in [0, 1),
    /// and where the number ends.
    private static func scanNumber(_ bytes: [UInt8], from start: Int) -> (Int64, Double, Int)? {
        var k = start
        var whole: Int64 = 0
        while k < bytes.count, bytes[k] >= UInt8(ascii: "0"), bytes[k] <= UInt8(ascii: "9") {
            let (times, o1) = whole.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int64(bytes[k] - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            whole = plus
            k += 1
        }
        guard k > start else { return nil }
        var fraction = 0.0
        if k < bytes.count, bytes[k] == UInt8(ascii: ".") {
            let fractionStart = k
            k += 1
            while k < bytes.count, bytes[k] >= UInt8(ascii: "0"), bytes[k] <= UInt8(ascii: "9") { k += 1 }
            guard k > fractionStart + 1 else { return nil }
            fraction = Double("0" + String(decoding: bytes[fractionStart..<k], as: UTF8.self)) ?? 0
        }
        return (whole, fraction, k)
    }
}
