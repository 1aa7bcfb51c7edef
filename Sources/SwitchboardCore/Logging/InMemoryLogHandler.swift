import Synchronization

/// Keeps every record in memory so tests can assert what was logged (and what was not: bodies, secrets).
public final class InMemoryLogHandler: LogHandler {
    public struct Record: Sendable, Equatable {
        public var level: LogLevel
        public var label: String
        public var message: String
        public var fields: [String: String]
    }

    private let storage = Mutex<[Record]>([])
    public let minimumLevel: LogLevel

    public init(minimumLevel: LogLevel = .debug) { self.minimumLevel = minimumLevel }

    public var records: [Record] { storage.withLock { $0 } }

    public func log(level: LogLevel, label: String, message: String, fields: KeyValuePairs<String, String>) {
        var dict: [String: String] = [:]
        for (k, v) in fields { dict[k] = v }
        storage.withLock { $0.append(Record(level: level, label: label, message: message, fields: dict)) }
    }
}
