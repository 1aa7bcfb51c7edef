/// Why a document is not JSON, and where: the byte offset for programs, the line and column for
/// people (both 1-based; columns count characters, not bytes), and the JSON path of the value that
/// was being read, so "expected ',' or '}' after object member, found '"' at line 12 column 5
/// (in adapters.local)" points at the exact spot.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A plain-language reason without position: "expected ':' after object key, found '}'".
    public var reason: String
    /// Offset of the offending byte from the start of the document.
    public var offset: Int
    public var line: Int
    public var column: Int
    /// The value being parsed when the error was found (`(top level)` for the document itself).
    public var path: JSONPath

    public init(reason: String, offset: Int, line: Int, column: Int, path: JSONPath = .root) {
        self.reason = reason
        self.offset = offset
        self.line = line
        self.column = column
        self.path = path
    }

    public var description: String {
        var text = "\(reason) at line \(line) column \(column)"
        if !path.isRoot { text += " (in \(path))" }
        return text
    }
}
