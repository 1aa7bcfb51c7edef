/// Reads typed settings out of a JSON configuration tree while tracking where it is and collecting
/// every problem, so that one run of `check-config` lists all of them.
///
/// A reader stands on one object (the document, `store`, one adapter entry). Each accessor names a
/// key, marks it as known, converts the value and returns it; when the value is missing, of the
/// wrong type or out of range, the reader records a `ConfigIssue` with the key's path and returns
/// nil (or the default) so that reading goes on. When the object is read, `reportUnknownKeys()`
/// flags every key nobody asked for, with a "did you mean" hint, so a typo never passes silently.
///
/// Conventions: an absent key and a key set to `null` both mean "use the default". An absent
/// optional section reads as `{}`; a section of the wrong type is reported once and everything
/// under it stays quiet. Paths print as `adapters.support-mail.interval` (see `JSONPath`).
///
///     let reader = ConfigReader(root: document)
///     let store = reader.object("store")
///     let path = store.string("path", default: "var/switchboard.db")
///     let window = store.duration("continuation_window", default: .seconds(86_400))
///     store.reportUnknownKeys()
///     reader.reportUnknownKeys()
///     if reader.hasIssues { … reader.issues … }
public final class ConfigReader {
    final class Sink {
        var issues: [ConfigIssue] = []
    }

    /// Where this reader stands.
    public let path: JSONPath
    /// The JSON at `path`, nil when the section is absent.
    public let value: JSONValue?
    private let sink: Sink
    /// Set under a value that was already reported as the wrong type: nothing more to say there.
    private var quiet: Bool
    private var knownKeys: [String] = []

    /// A reader on the document's root.
    public convenience init(root: JSONValue) {
        self.init(path: .root, value: root, sink: Sink(), quiet: false)
    }

    private init(path: JSONPath, value: JSONValue?, sink: Sink, quiet: Bool) {
        self.path = path
        self.value = value
        self.sink = sink
        self.quiet = quiet
    }

    // MARK: Issues

    /// Every issue found so far by this reader and all readers derived from the same root.
    public var issues: [ConfigIssue] { sink.issues }
    public var hasIssues: Bool { !sink.issues.isEmpty }
    /// How many issues exist now (compare before and after reading a part to see whether it was clean).
    public var issueCount: Int { sink.issues.count }

    /// Records an issue at this reader's path, or at `key` under it.
    public func report(_ code: ConfigIssue.Code, _ message: String, hint: String? = nil, key: String? = nil) {
        let at = key.map { path.appending(key: $0) } ?? path
        sink.issues.append(ConfigIssue(path: at, code: code, message: message, hint: hint))
    }

    /// Records an issue at any path (cross-checks between sections).
    public func report(_ issue: ConfigIssue) {
        sink.issues.append(issue)
    }

    private func issue(_ key: String, _ code: ConfigIssue.Code, _ message: String, hint: String? = nil) {
        guard !quiet else { return }
        report(code, message, hint: hint, key: key)
    }

    // MARK: The object itself

    /// Whether the section is present in the file.
    public var isPresent: Bool { value != nil }

    /// The keys of this object in document order (empty when absent or not an object).
    public var keys: [String] { value?.objectValue?.keys ?? [] }

    /// Whether the object has `key` (without marking it known).
    public func contains(_ key: String) -> Bool { value?.objectValue?[key] != nil }

    /// Reports a wrong type when this reader's value is present and not an object, and quiets the reader.
    /// Returns whether the value is usable as an object.
    @discardableResult
    public func expectObject() -> Bool {
        guard let value else { return true }
        if case .object = value { return true }
        if !quiet {
            report(.wrongType, "expected an object, found \(value.typeName)")
            quiet = true
        }
        return false
    }

    /// Marks keys as known that are read some other way (a generic field read by the caller).
    public func markKnown(_ keys: String...) {
        for key in keys where !knownKeys.contains(key) { knownKeys.append(key) }
    }

    /// The keys this reader was asked about, in the order they were asked.
    public var allowedKeys: [String] { knownKeys }

    /// Reports every key of this object that no accessor asked for, suggesting the closest
    /// known key within two edits.
    public func reportUnknownKeys() {
        guard !quiet, case .object(let object)? = value else { return }
        for member in object where !knownKeys.contains(member.key) {
            let hint: String
            if let suggestion = KeySuggestion.closest(to: member.key, in: knownKeys) {
                hint = "did you mean '\(suggestion)'?"
            } else if knownKeys.isEmpty {
                hint = "no keys are allowed here"
            } else {
                hint = "allowed keys: " + knownKeys.joined(separator: ", ")
            }
            report(.unknownKey, "unknown key", hint: hint, key: member.key)
        }
    }

    /// Looks `key` up and marks it known; nil when absent or null.
    private func member(_ key: String) -> JSONValue? {
        if !knownKeys.contains(key) { knownKeys.append(key) }
        guard case .object(let object)? = value, let found = object[key] else { return nil }
        if case .null = found { return nil }
        return found
    }

    private func missing(_ key: String, required: Bool, hint: String?) {
        if required { issue(key, .missing, "missing required key", hint: hint) }
    }

    private func wrongType(_ key: String, expected: String, found: JSONValue, hint: String? = nil) {
        issue(key, .wrongType, "expected \(expected), found \(found.typeName)", hint: hint)
    }

    /// A value the admin typed, quoted and shortened for a message (never used for secrets).
    public static func quote(_ text: String) -> String {
        var writer = JSONWriter()
        writer.value(text.count > 60 ? String(text.prefix(57)) + "..." : text)
        return writer.string
    }

    // MARK: Strings

    /// An optional or required string. Empty strings are an issue unless `allowEmpty`.
    public func string(_ key: String, required: Bool = false, allowEmpty: Bool = false, hint: String? = nil) -> String? {
        guard let found = member(key) else {
            missing(key, required: required, hint: hint)
            return nil
        }
        guard case .string(let text) = found else {
            wrongType(key, expected: "a string", found: found)
            return nil
        }
        if text.isEmpty, !allowEmpty {
            issue(key, .invalidValue, "must not be empty", hint: hint)
            return nil
        }
        return text
    }

    public func string(_ key: String, default defaultValue: String, allowEmpty: Bool = false) -> String {
        string(key, allowEmpty: allowEmpty) ?? defaultValue
    }

    // MARK: Numbers and booleans

    /// An integer, optionally within `range`. Whole-valued numbers like `8080.0` are accepted.
    public func int(_ key: String, required: Bool = false, in range: ClosedRange<Int>? = nil, hint: String? = nil) -> Int? {
        guard let found = member(key) else {
            missing(key, required: required, hint: hint)
            return nil
        }
        guard let number = found.intValue else {
            switch found {
            case .double:
                issue(key, .wrongType, "expected a whole number, found \(found.compactString)")
            case .string(let text) where Int(text) != nil:
                wrongType(key, expected: "a number", found: found, hint: "write the number without quotes")
            default:
                wrongType(key, expected: "a number", found: found)
            }
            return nil
        }
        if let range, !range.contains(number) {
            issue(key, .outOfRange, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
            return nil
        }
        return number
    }

    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>? = nil) -> Int {
        int(key, in: range) ?? defaultValue
    }

    public func bool(_ key: String, required: Bool = false) -> Bool? {
        guard let found = member(key) else {
            missing(key, required: required, hint: nil)
            return nil
        }
        guard case .bool(let flag) = found else {
            let hint = (found.stringValue == "true" || found.stringValue == "false") ? "write true or false without quotes" : nil
            wrongType(key, expected: "true or false", found: found, hint: hint)
            return nil
        }
        return flag
    }

    public func bool(_ key: String, default defaultValue: Bool) -> Bool {
        bool(key) ?? defaultValue
    }

    // MARK: Words

    /// A string that must be one of `allowed`.
    public func oneOf(_ key: String, _ allowed: [String], required: Bool = false) -> String? {
        guard let text = string(key, required: required, allowEmpty: true,
                                hint: required ? "one of " + allowed.map(ConfigReader.quote).joined(separator: ", ") : nil) else {
            return nil
        }
        guard allowed.contains(text) else {
            let hint = KeySuggestion.closest(to: text, in: allowed).map { "did you mean \(ConfigReader.quote($0))?" }
            issue(key, .notAllowed, "\(ConfigReader.quote(text)) is not one of " + allowed.map(ConfigReader.quote).joined(separator: ", "),
                  hint: hint)
            return nil
        }
        return text
    }

    public func oneOf(_ key: String, _ allowed: [String], default defaultValue: String) -> String {
        oneOf(key, allowed) ?? defaultValue
    }

    /// A string naming a case of a string-backed enum.
    public func choice<E: RawRepresentable & CaseIterable>(_ key: String, required: Bool = false) -> E? where E.RawValue == String {
        oneOf(key, E.allCases.map(\.rawValue), required: required).flatMap(E.init(rawValue:))
    }

    public func choice<E: RawRepresentable & CaseIterable>(_ key: String, default defaultValue: E) -> E where E.RawValue == String {
        choice(key) ?? defaultValue
    }

    // MARK: Units

    /// A duration: `"30s"`, `"5m"`, `"1h30m"`, `"250ms"`, or a number of seconds.
    public func duration(_ key: String, required: Bool = false, in range: ClosedRange<Duration>? = nil) -> Duration? {
        guard let found = member(key) else {
            missing(key, required: required, hint: "a duration like \"30s\"")
            return nil
        }
        let parsed: Duration?
        switch found {
        case .string(let text): parsed = ConfigUnits.parseDuration(text)
        case .int, .double: parsed = ConfigUnits.duration(seconds: found.doubleValue ?? -1)
        default:
            wrongType(key, expected: "a duration", found: found, hint: "a duration like \"30s\", \"5m\", \"1h30m\", \"250ms\", or a number of seconds")
            return nil
        }
        guard let duration = parsed else {
            issue(key, .badDuration, "\(ConfigReader.quote(found.stringValue ?? found.compactString)) is not a duration",
                  hint: "write it like \"30s\", \"5m\", \"1h30m\", \"250ms\", or a number of seconds")
            return nil
        }
        if let range, !range.contains(duration) {
            issue(key, .outOfRange, "must be between \(ConfigUnits.format(range.lowerBound)) and \(ConfigUnits.format(range.upperBound)), found \(ConfigUnits.format(duration))")
            return nil
        }
        return duration
    }

    public func duration(_ key: String, default defaultValue: Duration, in range: ClosedRange<Duration>? = nil) -> Duration {
        duration(key, in: range) ?? defaultValue
    }

    /// A size in bytes: `"1MiB"`, `"16KiB"`, `"10MB"`, or a number of bytes.
    public func byteSize(_ key: String, required: Bool = false, in range: ClosedRange<Int>? = nil) -> Int? {
        guard let found = member(key) else {
            missing(key, required: required, hint: "a size like \"1MiB\"")
            return nil
        }
        let parsed: Int?
        switch found {
        case .string(let text): parsed = ConfigUnits.parseByteSize(text)
        case .int, .double: parsed = found.intValue.flatMap { $0 >= 0 ? $0 : nil }
        default:
            wrongType(key, expected: "a size", found: found, hint: "a size like \"16KiB\", \"1MiB\", or a number of bytes")
            return nil
        }
        guard let size = parsed else {
            issue(key, .badSize, "\(ConfigReader.quote(found.stringValue ?? found.compactString)) is not a size",
                  hint: "write it like \"512\", \"16KiB\", \"1MiB\", \"2GiB\" (or kB, MB, GB for powers of 1000)")
            return nil
        }
        if let range, !range.contains(size) {
            issue(key, .outOfRange, "must be between \(ConfigUnits.formatByteSize(range.lowerBound)) and \(ConfigUnits.formatByteSize(range.upperBound)), found \(ConfigUnits.formatByteSize(size))")
            return nil
        }
        return size
    }

    public func byteSize(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>? = nil) -> Int {
        byteSize(key, in: range) ?? defaultValue
    }

    /// File permissions as an octal string, `"0660"`. A JSON number is refused: `660` would be decimal.
    public func fileMode(_ key: String, required: Bool = false) -> UInt32? {
        guard let found = member(key) else {
            missing(key, required: required, hint: "an octal string like \"0660\"")
            return nil
        }
        guard case .string(let text) = found else {
            let hint = found.intValue != nil ? "write the mode as an octal string in quotes, like \"0660\"" : "an octal string like \"0660\""
            wrongType(key, expected: "a file mode string", found: found, hint: hint)
            return nil
        }
        guard let mode = ConfigUnits.parseFileMode(text) else {
            issue(key, .badMode, "\(ConfigReader.quote(text)) is not a file mode", hint: "write octal permissions like \"0660\" or \"0600\"")
            return nil
        }
        return mode
    }

    public func fileMode(_ key: String, default defaultValue: UInt32) -> UInt32 {
        fileMode(key) ?? defaultValue
    }

    // MARK: Lists

    /// An array of strings; with `allowed`, each must be one of those words. Duplicates are an issue.
    public func stringList(_ key: String, required: Bool = false, allowed: [String]? = nil, allowEmptyList: Bool = true) -> [String]? {
        guard let found = member(key) else {
            missing(key, required: required, hint: nil)
            return nil
        }
        guard case .array(let elements) = found else {
            let hint = found.stringValue.map { "write a list: [\(ConfigReader.quote($0))]" }
            wrongType(key, expected: "an array of strings", found: found, hint: hint)
            return nil
        }
        if elements.isEmpty, !allowEmptyList {
            issue(key, .invalidValue, "must not be an empty list")
            return nil
        }
        var result: [String] = []
        var valid = true
        let keyPath = path.appending(key: key)
        for (position, element) in elements.enumerated() {
            let elementPath = keyPath.appending(index: position)
            guard case .string(let text) = element else {
                if !quiet { report(ConfigIssue(path: elementPath, code: .wrongType, message: "expected a string, found \(element.typeName)")) }
                valid = false
                continue
            }
            if let allowed, !allowed.contains(text) {
                let hint = KeySuggestion.closest(to: text, in: allowed).map { "did you mean \(ConfigReader.quote($0))?" }
                    ?? "allowed: " + allowed.joined(separator: ", ")
                if !quiet {
                    report(ConfigIssue(path: elementPath, code: .notAllowed, message: "\(ConfigReader.quote(text)) is not allowed here", hint: hint))
                }
                valid = false
                continue
            }
            if result.contains(text) {
                if !quiet { report(ConfigIssue(path: elementPath, code: .invalidValue, message: "\(ConfigReader.quote(text)) is listed twice")) }
                valid = false
                continue
            }
            result.append(text)
        }
        return valid ? result : nil
    }

    public func stringList(_ key: String, default defaultValue: [String], allowed: [String]? = nil) -> [String] {
        stringList(key, allowed: allowed) ?? defaultValue
    }

    // MARK: Secrets

    /// A secret reference (`env:NAME`, `file:/path`, `credential:NAME`). Anything else is reported
    /// as an inline secret; the value itself never appears in the issue.
    public func secret(_ key: String, required: Bool = false) -> SecretReference? {
        guard let found = member(key) else {
            missing(key, required: required, hint: "a reference: env:NAME, file:PATH or credential:NAME")
            return nil
        }
        guard case .string(let text) = found else {
            wrongType(key, expected: "a secret reference string", found: found, hint: "env:NAME, file:PATH or credential:NAME")
            return nil
        }
        switch SecretReference.parse(text) {
        case .success(let reference):
            return reference
        case .failure(let error):
            issue(key, error.isInline ? .inlineSecret : .invalidValue, error.message, hint: error.hint)
            return nil
        }
    }

    // MARK: Sections

    /// The object under `key`, as a reader. Absent reads as `{}` (after reporting it when required);
    /// a value of another type is reported once and the returned reader stays quiet.
    public func object(_ key: String, required: Bool = false, hint: String? = nil) -> ConfigReader {
        let childPath = path.appending(key: key)
        guard let found = member(key) else {
            missing(key, required: required, hint: hint)
            return ConfigReader(path: childPath, value: nil, sink: sink, quiet: quiet || required)
        }
        guard case .object = found else {
            wrongType(key, expected: "an object", found: found)
            return ConfigReader(path: childPath, value: found, sink: sink, quiet: true)
        }
        return ConfigReader(path: childPath, value: found, sink: sink, quiet: quiet)
    }

    /// Readers for the elements of the array under `key`; each element must be an object.
    public func objectArray(_ key: String, required: Bool = false) -> [ConfigReader] {
        guard let found = member(key) else {
            missing(key, required: required, hint: nil)
            return []
        }
        guard case .array(let elements) = found else {
            wrongType(key, expected: "an array", found: found)
            return []
        }
        let arrayPath = path.appending(key: key)
        return elements.enumerated().map { position, element in
            let reader = ConfigReader(path: arrayPath.appending(index: position), value: element, sink: sink, quiet: quiet)
            reader.expectObject()
            return reader
        }
    }

    /// For objects used as maps (`listeners`, `adapters`): one reader per member, in document order,
    /// each checked to be an object. Every key counts as known.
    public func objectEntries() -> [(key: String, reader: ConfigReader)] {
        guard !quiet, case .object(let object)? = value else { return [] }
        return object.map { member in
            markKnown(member.key)
            let reader = ConfigReader(path: path.appending(key: member.key), value: member.value, sink: sink, quiet: quiet)
            reader.expectObject()
            return (member.key, reader)
        }
    }
}
