/// Why the matrix decided what it did: every earlier rule and the conditions that failed it, the
/// rule that matched and the conditions that held, and the notes taken while resolving the
/// response channel and the automatic answer. Stored values; text is made only when shown.
public struct MatrixExplanation: Sendable, Hashable {
    public var input: RoutingInput
    /// The matrix in force when the decision was made (shared with the configuration, not copied),
    /// so that the reasons can be given later exactly as they were.
    public var rules: [MatrixRule]
    /// The calendars in force then, for `business_hours` conditions.
    public var calendars: [String: BusinessCalendar]
    public var matchedRule: String
    /// nil when the default matched.
    public var matchedIndex: Int?
    /// The matched rule's conditions (empty for the default).
    public var matchedConditions: RuleConditions
    /// Decisions after the match, in plain words: privacy, opt-outs, fallbacks, automatic answer.
    public var notes: [String]

    public init(input: RoutingInput, rules: [MatrixRule], calendars: [String: BusinessCalendar], matchedRule: String,
                matchedIndex: Int?, matchedConditions: RuleConditions, notes: [String]) {
        self.input = input
        self.rules = rules
        self.calendars = calendars
        self.matchedRule = matchedRule
        self.matchedIndex = matchedIndex
        self.matchedConditions = matchedConditions
        self.notes = notes
    }

    /// The rules tried before the match, in order, each with every condition that failed.
    public var skipped: [RuleEvaluation] {
        let end = matchedIndex ?? rules.count
        return (0..<end).map { index in
            RuleEvaluation(ruleID: rules[index].id, index: index,
                           misses: ChannelMatrix.misses(of: rules[index].conditions, input, calendars: calendars))
        }
    }

    /// The conditions of the matched rule that held, in plain words.
    public var heldConditions: [String] {
        var held: [String] = []
        let c = matchedConditions
        if let types = c.types { held.append("type \(input.type) is one of \(Self.list(types.map(\.rawValue)))") }
        if let channels = c.channels { held.append("channel \(input.channel.rawValue) is one of \(Self.list(channels.map(\.rawValue)))") }
        if let publicPost = c.publicPost { held.append(publicPost ? "the message is a public post" : "the message is not a public post") }
        for key in c.attributes.keys.sorted() {
            held.append("\(key) \(input.contact.attributes[key] ?? "") is one of \(Self.list(Array(c.attributes[key]!)))")
        }
        if let range = c.confidence { held.append("confidence \(RoutingText.decimal(input.confidence)) is within \(Self.range(range))") }
        if let range = c.frustration { held.append("frustration \(RoutingText.decimal(input.frustration)) is within \(Self.range(range))") }
        if let hours = c.businessHours { held.append("calendar \(hours.calendar) is \(hours.open ? "open" : "closed")") }
        return held
    }

    static func list(_ values: [String]) -> String { values.sorted().joined(separator: ", ") }

    static func range(_ range: ClosedRange<Double>) -> String {
        "\(RoutingText.decimal(range.lowerBound))…\(RoutingText.decimal(range.upperBound))"
    }
}

/// One rule that did not match, and every condition that failed.
public struct RuleEvaluation: Sendable, Hashable {
    public var ruleID: String
    public var index: Int
    public var misses: [ConditionMiss]

    public init(ruleID: String, index: Int, misses: [ConditionMiss]) {
        self.ruleID = ruleID
        self.index = index
        self.misses = misses
    }
}

/// A failed condition, with the value the message had.
public enum ConditionMiss: Sendable, Hashable, CustomStringConvertible {
    case type(actual: InquiryType, allowed: Set<InquiryType>)
    case channel(actual: Channel, allowed: Set<Channel>)
    case publicPost(actual: Bool)
    case attribute(key: String, actual: String?, allowed: Set<String>)
    case confidence(actual: Double, range: ClosedRange<Double>)
    case frustration(actual: Double, range: ClosedRange<Double>)
    case businessHours(calendar: String, wantedOpen: Bool)
    case unknownCalendar(String)

    public var description: String {
        switch self {
        case .type(let actual, let allowed):
            "type \(actual) is not one of \(MatrixExplanation.list(allowed.map(\.rawValue)))"
        case .channel(let actual, let allowed):
            "channel \(actual.rawValue) is not one of \(MatrixExplanation.list(allowed.map(\.rawValue)))"
        case .publicPost(let actual):
            actual ? "the message is a public post" : "the message is not a public post"
        case .attribute(let key, let actual, let allowed):
            actual.map { "\(key) \($0) is not one of \(MatrixExplanation.list(Array(allowed)))" }
                ?? "the contact has no \(key) (wanted one of \(MatrixExplanation.list(Array(allowed))))"
        case .confidence(let actual, let range):
            "confidence \(RoutingText.decimal(actual)) is outside \(MatrixExplanation.range(range))"
        case .frustration(let actual, let range):
            "frustration \(RoutingText.decimal(actual)) is outside \(MatrixExplanation.range(range))"
        case .businessHours(let calendar, let wantedOpen):
            "calendar \(calendar) is \(wantedOpen ? "closed" : "open")"
        case .unknownCalendar(let calendar):
            "calendar \(calendar) is not defined"
        }
    }
}
