import Foundation

/// Number, duration and time formatting for explanations and reports: fixed, locale-free, short.
public enum RoutingText {
    /// `0.85`, `12.00` (two places by default).
    public static func decimal(_ value: Double, places: Int = 2) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return sign + String(scaled) }
        var fraction = String(scaled % scale)
        while fraction.count < places { fraction = "0" + fraction }
        return "\(sign)\(scaled / scale).\(fraction)"
    }

    /// Seconds as `45s`, `2m05s`, `1h30m`, `2d3h`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        let negative = seconds < 0
        var rest = Int(abs(seconds).rounded())
        let days = rest / 86_400
        rest %= 86_400
        let hours = rest / 3_600
        rest %= 3_600
        let minutes = rest / 60
        let secs = rest % 60
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let text: String
        if days > 0 { text = hours > 0 ? "\(days)d\(hours)h" : "\(days)d" }
        else if hours > 0 { text = "\(hours)h\(two(minutes))m" }
        else if minutes > 0 { text = "\(minutes)m\(two(secs))s" }
        else { text = "\(secs)s" }
        return negative ? "-" + text : text
    }

    /// An instant as `2025-03-11T09:15:00Z` (UTC, whole seconds).
    public static func time(_ date: Date) -> String {
        String(RFC3339.format(date).prefix(19)) + "Z"
    }

    /// An instant as local wall time in a zone: `2025-03-11 10:15 CET`.
    public static func localTime(_ date: Date, in zone: TimeZone) -> String {
        let local = RFC3339.format(date.addingTimeInterval(Double(zone.secondsFromGMT(for: date))))
        let abbreviation = zone.abbreviation(for: date) ?? zone.identifier
        return local.prefix(10) + " " + local.dropFirst(11).prefix(5) + " " + abbreviation
    }
}
