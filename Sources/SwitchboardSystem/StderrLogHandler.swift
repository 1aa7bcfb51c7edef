import Foundation
import Glibc
import Synchronization
import SwitchboardCore

/// Writes one line per record to stderr. Under systemd (`$JOURNAL_STREAM` set) each line starts
/// with the syslog priority `<N>` so journald keeps the level, and the timestamp is left to the
/// journal; in a terminal the line starts with an ISO 8601 time and the level name.
/// Fields are `key=value`, quoted when they hold spaces; callers put ids and reasons there,
/// never message bodies or secrets.
public final class StderrLogHandler: LogHandler {
    private let level: Atomic<Int>
    private let journal: Bool
    private let lock = Mutex(())

    public init(minimumLevel: LogLevel = .info, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.level = Atomic(minimumLevel.rawValue)
        self.journal = environment["JOURNAL_STREAM"].map { !$0.isEmpty } ?? false
    }

    public var minimumLevel: LogLevel { LogLevel(rawValue: level.load(ordering: .relaxed)) ?? .info }

    /// A reload may change `log.level` without restarting anything.
    public func setMinimumLevel(_ newLevel: LogLevel) { level.store(newLevel.rawValue, ordering: .relaxed) }

    public func log(level: LogLevel, label: String, message: String, fields: KeyValuePairs<String, String>) {
        var line = ""
        line.reserveCapacity(128)
        if journal {
            line += "<\(level.rawValue)>"
        } else {
            line += Self.timestamp()
            line += " "
            line += level.name
            line += " "
        }
        line += label
        line += ": "
        line += Self.singleLine(message)
        for (key, value) in fields {
            line += " "
            line += key
            line += "="
            line += Self.quoted(value)
        }
        line += "\n"
        var bytes = Array(line.utf8)
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { raw in
                    Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                }
                if written <= 0 { if errno == EINTR { continue } else { break } }
                offset += written
            }
        }
        bytes.removeAll()
    }

    static func singleLine(_ text: String) -> String {
        text.contains(where: { $0.isNewline }) ? text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ") : text
    }

    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
        guard needsQuotes else { return value }
        var out = "\""
        for ch in value {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(ch)
            }
        }
        return out + "\""
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = tm()
        var seconds = ts.tv_sec
        gmtime_r(&seconds, &t)
        let millis = ts.tv_nsec / 1_000_000
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1))-\(pad(t.tm_mday))T\(pad(t.tm_hour)):\(pad(t.tm_min)):\(pad(t.tm_sec)).\(pad(Int32(millis), 3))Z"
    }
}
