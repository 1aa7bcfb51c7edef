/// What one input did to its parser: how much the parser accepted (seeds must be accepted, or
/// they exercise nothing past the first check) and which invariants broke, in words.
public struct FuzzReport: Sendable, Equatable {
    public var target: FuzzTarget
    /// Requests, messages or documents the parser accepted.
    public var accepted = 0
    /// Invariants that did not hold; empty when the input is fine.
    public var violations: [String] = []

    public init(target: FuzzTarget) {
        self.target = target
    }

    /// Records `message` when `condition` is false.
    mutating func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { violations.append(message()) }
    }
}
