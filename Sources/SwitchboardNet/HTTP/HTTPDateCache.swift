#if canImport(Glibc)
import Glibc
#endif

/// The `Date:` header line, formatted once per second (RFC 9110 §5.6.7 IMF-fixdate).
struct HTTPDateCache {
    private var second: time_t = -1
    private(set) var line: [UInt8] = []

    mutating func update(now: time_t = time(nil)) {
        guard now != second else { return }
        second = now
        var t = now
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let text = "Date: \(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT\r\n"
        line = Array(text.utf8)
    }
}
