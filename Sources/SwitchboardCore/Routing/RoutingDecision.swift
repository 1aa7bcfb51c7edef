/// The matrix's verdict for one message, as a value: the daemon creates the task, sends the
/// automatic answer, starts the SLA clocks and stores the explanation.
public struct RoutingDecision: Sendable, Hashable {
    /// The id of the rule that matched, or `default`.
    public var rule: String
    /// Its position in the matrix; nil for the default.
    public var ruleIndex: Int?
    public var queue: String
    public var priority: Int
    /// The queue's skills plus the rule's.
    public var requiredSkills: [SkillRequirement]
    /// Where the answer goes, after privacy rules and opt-outs.
    public var response: ResponseChannel
    /// First-response and resolution targets for the queue on the response channel.
    public var sla: SLATargets
    /// The calendar the SLA clocks count in (the queue's); nil = around the clock.
    public var calendar: String?
    public var escalation: [EscalationStep]
    /// A standard response to send at once.
    public var autoAnswer: String?
    /// False when the automatic answer deflects the message: no task now, the conversation stays
    /// open, and a reply from the customer comes back to the matrix with `alreadyAutoAnswered`.
    public var createsTask: Bool
    /// Agents are told not to make sales offers.
    public var suppressSales: Bool
    /// The configured cost of this contact: the response channel's, or self-service's when deflected.
    public var cost: Double?
    public var explanation: MatrixExplanation
}

/// A resolved answer channel: which channel, and whether the answer is visible to others.
public struct ResponseChannel: Sendable, Hashable, CustomStringConvertible {
    public var channel: Channel
    /// True only for a public reply on a social network.
    public var isPublic: Bool

    public init(channel: Channel, isPublic: Bool = false) {
        self.channel = channel
        self.isPublic = isPublic
    }

    /// A private message on a social network.
    public var isDirectMessage: Bool { channel == .social && !isPublic }

    public var description: String {
        if channel == .social { return isPublic ? "social (public reply)" : "social (direct message)" }
        return channel.rawValue
    }
}
