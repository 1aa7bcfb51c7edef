/// One problem in a configuration file, found while reading it. Readers collect every issue
/// instead of stopping at the first, so an admin fixes the whole file in one go.
///
/// Printed one per line as `path: message (hint)`, for example
/// `adapters.local.max_bodyy: unknown key (did you mean 'max_body'?)`.
public struct ConfigIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable kind of problem (`unknown_key`, `wrong_type`, …).
    public struct Code: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }

        /// The file is missing, unreadable, or a directory.
        public static let unreadable: Code = "unreadable"
        /// The file is not valid JSON (the issue carries line and column).
        public static let syntax: Code = "syntax"
        public static let missing: Code = "missing"
        public static let wrongType: Code = "wrong_type"
        public static let outOfRange: Code = "out_of_range"
        /// A string that is not one of the allowed words.
        public static let notAllowed: Code = "not_allowed"
        public static let invalidValue: Code = "invalid_value"
        public static let badDuration: Code = "bad_duration"
        public static let badSize: Code = "bad_size"
        public static let badMode: Code = "bad_mode"
        public static let inlineSecret: Code = "inline_secret"
        public static let unknownKey: Code = "unknown_key"
        /// A name that should refer to something defined elsewhere in the file and does not.
        public static let unknownReference: Code = "unknown_reference"
        /// Two entries that cannot both be true (two listeners on one socket path).
        public static let conflict: Code = "conflict"
    }

    /// Where in the document (the key that is wrong, or that is missing).
    public var path: JSONPath
    public var code: Code
    /// What is wrong, in plain words, without the path.
    public var message: String
    /// What to do about it, when there is something useful to say.
    public var hint: String?
    /// For syntax errors: where in the file, 1-based.
    public var line: Int?
    public var column: Int?

    public init(path: JSONPath, code: Code, message: String, hint: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.code = code
        self.message = message
        self.hint = hint
        self.line = line
        self.column = column
    }

    /// `path: message (hint)`; syntax errors read `line 12 column 5: reason (in path)`.
    public var description: String {
        var text: String
        if let line, let column {
            text = "line \(line) column \(column): \(message)"
            if !path.isRoot { text += " (in \(path))" }
        } else {
            text = "\(path): \(message)"
        }
        if let hint { text += " (\(hint))" }
        return text
    }
}

extension ConfigIssue {
    /// A JSON syntax error as an issue, keeping its line, column and path.
    public init(syntaxError error: JSONParseError) {
        self.init(path: error.path, code: .syntax, message: error.reason, hint: nil, line: error.line, column: error.column)
    }
}
