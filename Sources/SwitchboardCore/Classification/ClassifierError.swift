/// An error from the classifier's configuration, data or model files that an admin will read:
/// a code to search for, the place (file, line, rule id, JSON path) and a hint.
public struct ClassifierError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var place: String
    public var hint: String

    public init(code: String, place: String, hint: String) {
        self.code = code
        self.place = place
        self.hint = hint
    }

    public var description: String { "\(code) at \(place): \(hint)" }
}
