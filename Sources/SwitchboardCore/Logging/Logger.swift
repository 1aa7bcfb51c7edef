import Foundation

/// Severity, in syslog order, so that a journal handler can prefix `<N>`.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case error = 3, warning = 4, notice = 5, info = 6, debug = 7

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue > rhs.rawValue }
    public var name: String {
        switch self {
        case .error: "error"
        case .warning: "warning"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }
}

/// Where log records go. Handlers are values shared across threads; they decide the format.
/// Records carry ids and reasons as fields; message bodies and secrets are never logged.
public protocol LogHandler: Sendable {
    var minimumLevel: LogLevel { get }
    func log(level: LogLevel, label: String, message: String, fields: KeyValuePairs<String, String>)
}

/// A small value-typed logger: a label (the component: "store", "http", "adapter.support-mail")
/// and a handler. Cheap to copy and to pass into every component's context.
public struct Logger: Sendable {
    public var label: String
    public var handler: any LogHandler

    public init(label: String, handler: any LogHandler) {
        self.label = label
        self.handler = handler
    }

    /// The same handler under another component name.
    public func child(_ label: String) -> Logger { Logger(label: label, handler: handler) }

    @inlinable public func isEnabled(_ level: LogLevel) -> Bool { level >= handler.minimumLevel }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) {
        guard isEnabled(level) else { return }
        handler.log(level: level, label: label, message: message(), fields: fields)
    }
    public func error(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, message(), fields) }
    public func warning(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warning, message(), fields) }
    public func notice(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) { log(.notice, message(), fields) }
    public func info(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, message(), fields) }
    public func debug(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, message(), fields) }

    /// A logger that drops everything, for tests and tools that must stay quiet.
    public static let silent = Logger(label: "silent", handler: SilentLogHandler())
}

public struct SilentLogHandler: LogHandler {
    public init() {}
    public var minimumLevel: LogLevel { .error }
    public func log(level: LogLevel, label: String, message: String, fields: KeyValuePairs<String, String>) {}
}
