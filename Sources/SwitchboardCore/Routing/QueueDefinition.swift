/// A waiting line for one kind of work: which skills its agents need, how it picks among them,
/// its service-level targets per channel, and the calendar its clocks count in.
public struct QueueDefinition: Sendable, Hashable {
    public var id: String
    public var requiredSkills: [SkillRequirement]
    public var strategy: AssignmentStrategy
    /// The priority of its tasks when the matrix rule does not set one (higher is more urgent).
    public var priority: Int
    /// Targets for every channel, unless `channelSLA` has an entry for the task's channel.
    public var sla: SLATargets
    public var channelSLA: [Channel: SLATargets]
    /// The business-hours calendar its SLA clocks count in; nil = open around the clock.
    public var calendar: String?

    public init(id: String, requiredSkills: [SkillRequirement] = [], strategy: AssignmentStrategy = .longestIdle,
                priority: Int = 0, sla: SLATargets = SLATargets(), channelSLA: [Channel: SLATargets] = [:],
                calendar: String? = nil) {
        self.id = id
        self.requiredSkills = requiredSkills.sorted()
        self.strategy = strategy
        self.priority = priority
        self.sla = sla
        self.channelSLA = channelSLA
        self.calendar = calendar
    }

    /// The targets for a channel: its own entry merged over the queue-wide ones.
    public func slaTargets(for channel: Channel) -> SLATargets {
        guard let specific = channelSLA[channel] else { return sla }
        return specific.merged(over: sla)
    }
}

/// First-response and resolution targets, counted in business time of the queue's calendar.
public struct SLATargets: Sendable, Hashable {
    public var firstResponse: Duration?
    public var resolution: Duration?

    public init(firstResponse: Duration? = nil, resolution: Duration? = nil) {
        self.firstResponse = firstResponse
        self.resolution = resolution
    }

    /// These targets, with the other's filling the ones left unset.
    public func merged(over other: SLATargets) -> SLATargets {
        SLATargets(firstResponse: firstResponse ?? other.firstResponse, resolution: resolution ?? other.resolution)
    }

    public var isEmpty: Bool { firstResponse == nil && resolution == nil }

    public func target(_ kind: SLAKind) -> Duration? { kind == .firstResponse ? firstResponse : resolution }
}

/// A person who answers: skills with levels, how many tasks at once per channel, and the shift
/// (a calendar) the simulator and the shift planner use to log them in and out.
public struct AgentDefinition: Sendable, Hashable {
    public var id: String
    public var name: String
    /// Skill → level 1…10.
    public var skills: [String: Int]
    /// Channel → tasks at once (chat 3, email 5, voice 1). A channel that is absent takes no work.
    public var capacity: [Channel: Int]
    /// The calendar of the agent's working hours, if planned.
    public var shift: String?
    /// The secret reference (`env:…`, `file:…`, `credential:…`) of the agent's API token, as written.
    public var token: String?

    public init(id: String, name: String? = nil, skills: [String: Int] = [:], capacity: [Channel: Int] = [:],
                shift: String? = nil, token: String? = nil) {
        self.id = id
        self.name = name ?? id
        self.skills = skills
        self.capacity = capacity
        self.shift = shift
        self.token = token
    }

    /// Whether the agent has every skill at the required level.
    public func satisfies(_ requirements: [SkillRequirement]) -> Bool {
        requirements.allSatisfy { (skills[$0.skill] ?? 0) >= $0.minimumLevel }
    }
}

/// One entry of the standard response library: what agents insert and what self-service
/// deflection sends. SMS gets the short text (and the link) when there is one.
public struct StandardResponse: Sendable, Hashable {
    public var id: String
    public var title: String
    public var text: String
    public var shortText: String?
    public var link: String?
    public var tags: [String]

    public init(id: String, title: String, text: String, shortText: String? = nil, link: String? = nil, tags: [String] = []) {
        self.id = id
        self.title = title
        self.text = text
        self.shortText = shortText
        self.link = link
        self.tags = tags
    }

    /// The text to send on a channel: the short form on SMS, with the link appended when the
    /// text does not already contain it.
    public func text(for channel: Channel) -> String {
        var body = channel == .sms ? (shortText ?? text) : text
        if let link, !body.contains(link) { body += (channel == .sms ? " " : "\n\n") + link }
        return body
    }
}

/// How offers to agents behave.
public struct OfferSettings: Sendable, Hashable {
    /// How long an agent has to accept before the task goes to the next agent.
    public var acceptTimeout: Duration
    /// Channels whose tasks are assigned without asking (email is often auto-accepted).
    public var autoAcceptChannels: Set<Channel>

    public init(acceptTimeout: Duration = .seconds(30), autoAcceptChannels: Set<Channel> = []) {
        self.acceptTimeout = acceptTimeout
        self.autoAcceptChannels = autoAcceptChannels
    }
}

/// The returning customer's previous agent gets the first chance at a new task, for this long.
public struct LastAgentSettings: Sendable, Hashable {
    public var timeout: Duration
    public var enabled: Bool { timeout > .zero }

    public init(timeout: Duration = .seconds(120)) { self.timeout = timeout }
}
