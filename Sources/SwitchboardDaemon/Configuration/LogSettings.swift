import SwitchboardCore

/// `log`: how much the daemon says. `"level"` is one of error, warning, notice, info, debug.
public struct LogSettings: Sendable, Hashable {
    public var level: LogLevel

    public init(level: LogLevel = .info) {
        self.level = level
    }

    static func read(_ reader: ConfigReader) -> LogSettings {
        let name = reader.oneOf("level", LogLevel.allCases.map(\.name), default: LogLevel.info.name)
        reader.reportUnknownKeys()
        return LogSettings(level: LogLevel.allCases.first { $0.name == name } ?? .info)
    }
}
