/// One row of the channel-mapping matrix: when its conditions all hold, its actions decide where
/// the message goes. Rules are tried top to bottom; the first that matches wins, and the matrix's
/// default catches the rest (Twilio TaskRouter's workflow filters work the same way).
public struct MatrixRule: Sendable, Hashable {
    public var id: String
    public var conditions: RuleConditions
    public var actions: RuleActions

    public init(id: String, conditions: RuleConditions = RuleConditions(), actions: RuleActions) {
        self.id = id
        self.conditions = conditions
        self.actions = actions
    }
}

/// What a message must look like for a rule to match. Every condition that is set must hold;
/// one that is nil holds for everything.
public struct RuleConditions: Sendable, Hashable {
    /// The inquiry type is one of these.
    public var types: Set<InquiryType>?
    /// The message came in on one of these channels.
    public var channels: Set<Channel>?
    /// The message is (true) or is not (false) a public post.
    public var publicPost: Bool?
    /// For each key, the contact's attribute is one of the listed values (`tier`, `language`, …).
    public var attributes: [String: Set<String>]
    /// The classifier's confidence lies in this range (0…1).
    public var confidence: ClosedRange<Double>?
    /// The frustration score lies in this range (0…1).
    public var frustration: ClosedRange<Double>?
    /// The calendar is open (true) or closed (false) at the message's time.
    public var businessHours: BusinessHoursCondition?

    public init(types: Set<InquiryType>? = nil, channels: Set<Channel>? = nil, publicPost: Bool? = nil,
                attributes: [String: Set<String>] = [:], confidence: ClosedRange<Double>? = nil,
                frustration: ClosedRange<Double>? = nil, businessHours: BusinessHoursCondition? = nil) {
        self.types = types
        self.channels = channels
        self.publicPost = publicPost
        self.attributes = attributes
        self.confidence = confidence
        self.frustration = frustration
        self.businessHours = businessHours
    }

    /// True when no condition is set: the rule matches every message.
    public var matchesEverything: Bool {
        types == nil && channels == nil && publicPost == nil && attributes.isEmpty && confidence == nil
            && frustration == nil && businessHours == nil
    }
}

public struct BusinessHoursCondition: Sendable, Hashable {
    public var calendar: String
    public var open: Bool

    public init(calendar: String, open: Bool) {
        self.calendar = calendar
        self.open = open
    }
}

/// What a matching rule decides.
public struct RuleActions: Sendable, Hashable {
    public var queue: String
    /// Overrides the queue's priority (higher is more urgent).
    public var priority: Int?
    /// Skills required on top of the queue's (a language, a product).
    public var skills: [SkillRequirement]
    public var respondOn: ResponseChannelChoice
    /// Overrides the queue's SLA targets for the channel, target by target.
    public var sla: SLATargets
    public var escalation: [EscalationStep]
    /// A standard response to send at once (self-service).
    public var autoAnswer: String?
    /// With an auto answer: true = no task is created, the conversation stays open and a human
    /// takes over if the customer writes back; false = the answer is an acknowledgement and the
    /// task is queued as well.
    public var deflect: Bool
    public var suppressSales: SalesSuppression

    public init(queue: String, priority: Int? = nil, skills: [SkillRequirement] = [], respondOn: ResponseChannelChoice = .same,
                sla: SLATargets = SLATargets(), escalation: [EscalationStep] = [], autoAnswer: String? = nil,
                deflect: Bool = true, suppressSales: SalesSuppression = .whenFrustrated) {
        self.queue = queue
        self.priority = priority
        self.skills = skills
        self.respondOn = respondOn
        self.sla = sla
        self.escalation = escalation
        self.autoAnswer = autoAnswer
        self.deflect = deflect
        self.suppressSales = suppressSales
    }
}

/// Which channel the answer should use, before privacy and opt-outs are applied.
public enum ResponseChannelChoice: Sendable, Hashable, CustomStringConvertible {
    /// The channel the message came in on (a public post is answered publicly unless private).
    case same
    /// The contact's preferred channel, else the same one.
    case preferred
    /// The same channel but never publicly: a public post is answered by direct message, or by
    /// email when a direct message is impossible.
    case privateOnly
    case named(Channel)

    public var description: String {
        switch self {
        case .same: "same"
        case .preferred: "preferred"
        case .privateOnly: "private"
        case .named(let channel): channel.rawValue
        }
    }

    public static func parse(_ text: String) -> ResponseChannelChoice? {
        switch text {
        case "same": .same
        case "preferred": .preferred
        case "private": .privateOnly
        default: Channel(rawValue: text).map(ResponseChannelChoice.named)
        }
    }

    public static let words = ["same", "preferred", "private"] + Channel.allCases.map(\.rawValue)
}

/// Whether agents are told not to make sales offers.
public enum SalesSuppression: String, Sendable, Hashable, CaseIterable {
    case whenFrustrated = "when_frustrated"
    case always
    case never
}

/// One step of a rule's escalation ladder: when it fires and what it does. Each step fires at
/// most once per task.
public struct EscalationStep: Sendable, Hashable, CustomStringConvertible {
    public enum Trigger: Sendable, Hashable, CustomStringConvertible {
        /// This long after the task arrived, if it is not yet assigned.
        case after(Duration)
        /// When no agent with the required skills is available (on arrival or later).
        case noAgentAvailable
        /// When the first-response or resolution target is missed.
        case breach(SLAKind)

        public var description: String {
            switch self {
            case .after(let duration): "after \(ConfigUnits.format(duration))"
            case .noAgentAvailable: "when no agent is available"
            case .breach(let kind): "on \(kind.rawValue) breach"
            }
        }
    }

    public enum Action: Sendable, Hashable, CustomStringConvertible {
        case moveToQueue(String)
        /// Lower a skill requirement to `toLevel`, or drop it when nil.
        case relaxSkill(String, toLevel: Int?)
        case raisePriority(by: Int)
        /// Tell someone (a supervisor group, a webhook name): the daemon decides how.
        case notify(String)

        public var description: String {
            switch self {
            case .moveToQueue(let queue): "move to queue \(queue)"
            case .relaxSkill(let skill, let level):
                level.map { "relax \(skill) to level \($0)" } ?? "drop skill \(skill)"
            case .raisePriority(let by): "raise priority by \(by)"
            case .notify(let target): "notify \(target)"
            }
        }

        /// Whether the step changes where or how the task waits (it does nothing once assigned).
        public var changesRouting: Bool {
            if case .notify = self { return false }
            return true
        }
    }

    public var trigger: Trigger
    public var action: Action

    public init(_ trigger: Trigger, _ action: Action) {
        self.trigger = trigger
        self.action = action
    }

    public var description: String { "\(trigger): \(action)" }
}

/// The two service-level targets.
public enum SLAKind: String, Sendable, Hashable, CaseIterable {
    case firstResponse = "first_response"
    case resolution
}
