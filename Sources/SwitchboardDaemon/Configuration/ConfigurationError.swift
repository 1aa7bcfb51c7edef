import SwitchboardCore

/// Why a configuration was not loaded: every issue found, the file's own problems (missing,
/// unreadable, not JSON) included. A reload that gets one keeps the running configuration.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The file as the caller named it.
    public var file: String
    public var issues: [ConfigIssue]

    public init(file: String, issues: [ConfigIssue]) {
        self.file = file
        self.issues = issues
    }

    /// One line per issue, for an admin at 3 a.m.:
    ///
    ///     adapters.local.max_bodyy: unknown key (did you mean 'max_body'?)
    ///     adapters.json:12:5: expected ',' or '}' after object member, found '"' (in adapters.local)
    ///     adapters.json: the file does not exist (…)
    public var lines: [String] {
        issues.map { ConfigurationError.format($0, file: file) }
    }

    public var description: String {
        lines.joined(separator: "\n")
    }

    public static func format(_ issue: ConfigIssue, file: String) -> String {
        if issue.code == .unreadable {
            var text = "\(file): \(issue.message)"
            if let hint = issue.hint { text += " (\(hint))" }
            return text
        }
        if let line = issue.line, let column = issue.column {
            var text = "\(file):\(line):\(column): \(issue.message)"
            if !issue.path.isRoot { text += " (in \(issue.path))" }
            if let hint = issue.hint { text += " (\(hint))" }
            return text
        }
        return issue.description
    }
}
