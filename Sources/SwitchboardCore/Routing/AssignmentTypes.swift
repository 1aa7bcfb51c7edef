import Foundation

/// A unit of work for the assignment engine: one conversation that needs an agent.
public struct TaskRequest: Sendable, Hashable {
    public var id: String
    public var queue: String
    /// The channel the agent works on (the decision's response channel): capacity is counted here.
    public var channel: Channel
    public var priority: Int
    public var arrival: Date
    /// Every skill the agent needs (the queue's plus the rule's); nil = the queue's.
    public var requiredSkills: [SkillRequirement]?
    public var escalation: [EscalationStep]
    /// The agent who last served this customer: offered first, until the last-agent timeout.
    public var preferredAgent: String?
    /// Indices into `escalation` of the steps that already fired for this task (it is placed again
    /// after a restart, a reload or a transfer): they never fire again. The queue, priority and
    /// skills in the request already hold their effect.
    public var firedSteps: [Int]

    public init(id: String, queue: String, channel: Channel, priority: Int = 0, arrival: Date,
                requiredSkills: [SkillRequirement]? = nil, escalation: [EscalationStep] = [], preferredAgent: String? = nil,
                firedSteps: [Int] = []) {
        self.id = id
        self.queue = queue
        self.channel = channel
        self.priority = priority
        self.arrival = arrival
        self.requiredSkills = requiredSkills
        self.escalation = escalation
        self.preferredAgent = preferredAgent
        self.firedSteps = firedSteps
    }

    /// The task a routing decision asks for.
    public init(id: String, decision: RoutingDecision, arrival: Date, preferredAgent: String? = nil) {
        self.init(id: id, queue: decision.queue, channel: decision.response.channel, priority: decision.priority,
                  arrival: arrival, requiredSkills: decision.requiredSkills, escalation: decision.escalation,
                  preferredAgent: preferredAgent)
    }
}

/// What the daemon must do after an event. The engine has already updated its own state as if
/// the action were done; the daemon performs it (sends the offer, stores the assignment, …).
public enum AssignmentAction: Sendable, Hashable {
    /// Ask the agent to take the task; it counts against their capacity until accepted,
    /// declined or expired.
    case offer(task: String, agent: String, expires: Date, selection: AgentSelection?)
    /// The task is the agent's (accepted, or auto-accepted without an offer).
    case assign(task: String, agent: String, selection: AgentSelection?)
    /// Nobody can take the task now: it waits in its queue, by priority then age.
    case wait(task: String, queue: String, selection: AgentSelection?)
    /// The task waits for the customer's previous agent until `until`, then goes to anyone.
    case reserve(task: String, agent: String, until: Date)
    /// A pending offer is withdrawn (timed out, the agent went away or offline, or the task ended).
    case revoke(task: String, agent: String, reason: String)
    /// An assigned task goes back to the waiting queue (its agent went offline).
    case requeue(task: String, agent: String)
    /// An escalation step changed how the task is routed.
    case escalate(task: String, step: EscalationStep)
    /// An escalation step asks for someone to be told.
    case notify(task: String, target: String, step: EscalationStep)
    /// The event did not apply (an offer accepted after it expired, an unknown task or agent).
    case reject(task: String?, agent: String?, reason: String)
}

/// Where a task stands.
public enum TaskStatus: Sendable, Hashable {
    case waiting(queue: String)
    case reserved(agent: String, until: Date)
    case offered(agent: String, expires: Date)
    case assigned(agent: String)
}

/// Why the engine chose an agent, and why it passed over the others: stored with the decision
/// and shown by `switchboard explain`. Recorded as numbers when the decision is made; the
/// sentences are made only when read.
public struct AgentSelection: Sendable, Hashable {
    public var queue: String
    public var strategy: AssignmentStrategy
    /// The agent chosen, or nil when the task had to wait.
    public var chosen: String?
    public var why: Reason
    /// Agents that have the skills and take work on the channel.
    public var candidates: Int
    /// Agents without the skills (or without capacity on the channel at all).
    public var lackingSkills: Int
    /// The candidates not chosen and why, in candidate order (at most `passedOverLimit`).
    public var passedOver: [PassedOver]
    /// How many candidates were passed over for each reason, indexed like `PassedOver.Kind.allCases`.
    var counts: [Int]

    public static let passedOverLimit = 25

    public init(queue: String, strategy: AssignmentStrategy, chosen: String?, why: Reason, candidates: Int, lackingSkills: Int,
                passedOver: [PassedOver] = [], counts: [Int] = []) {
        self.queue = queue
        self.strategy = strategy
        self.chosen = chosen
        self.why = why
        self.candidates = candidates
        self.lackingSkills = lackingSkills
        self.passedOver = passedOver
        self.counts = counts
    }

    /// How many candidates were passed over for each reason (all of them, not just those listed).
    public var passedOverCounts: [PassedOver.Kind: Int] {
        var result: [PassedOver.Kind: Int] = [:]
        for (index, count) in counts.enumerated() where count > 0 { result[PassedOver.Kind.allCases[index]] = count }
        return result
    }

    /// The reason in plain words.
    public var reason: String {
        let chosen = chosen ?? "nobody"
        func among(_ count: Int) -> String { "of \(count) agent\(count == 1 ? "" : "s") who could take it" }
        switch why {
        case .longestIdle(let since, let eligible):
            return (since.map { "idle since \(RoutingText.time($0))" } ?? "never assigned yet") + ": the longest idle " + among(eligible)
        case .leastBusy(let load, let capacity, let eligible):
            return "holding \(load) of \(capacity) tasks: the least busy " + among(eligible)
        case .roundRobin(let previous, let eligible):
            return "next in round-robin order after \(previous ?? "nobody yet"), " + among(eligible)
        case .onlyDecliners:
            return "only agents who declined the task before could take it; \(chosen) ranks first of them"
        case .previousAgent(let until, let waited):
            return "the customer's previous agent" + (waited ? ", who was reserved for it" : "") + " (last-agent preference until \(RoutingText.time(until)))"
        case .freedCapacity(let channel, let priority, let waited):
            return "\(chosen) was the first to have room on \(channel.rawValue); the task was next in line (priority \(priority), waited \(RoutingText.duration(waited)))"
        case .named:
            return "\(chosen) was named by a transfer, and is available with room and the skills"
        case .noCandidates:
            return "no agent has the required skills and takes work on this channel"
        case .nobodyFree:
            let parts = PassedOver.Kind.allCases.compactMap { kind in passedOverCounts[kind].map { "\($0) \(kind.rawValue)" } }
            return "nobody can take it now (" + parts.joined(separator: ", ") + "); it waits by priority, then age"
        }
    }

    public enum Reason: Sendable, Hashable {
        case longestIdle(since: Date?, eligible: Int)
        case leastBusy(load: Int, capacity: Int, eligible: Int)
        case roundRobin(after: String?, eligible: Int)
        case onlyDecliners
        case previousAgent(until: Date, waited: Bool)
        case freedCapacity(channel: Channel, priority: Int, waited: Double)
        /// Handed to the agent by name (`AssignmentEngine.offerDirectly`).
        case named
        case noCandidates
        case nobodyFree
    }

    public struct PassedOver: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            case notAvailable = "not available"
            case atCapacity = "at capacity"
            case onExclusiveTask = "on an exclusive task"
            case declinedBefore = "declined this task before"
            case rankedLower = "ranked lower"
        }
        public var agent: String
        public var kind: Kind
        public var status: AgentStatus
        public var channel: Channel
        /// Tasks held on the task's channel, and the agent's capacity there.
        public var load: Int
        public var capacity: Int
        public var totalLoad: Int
        public var totalCapacity: Int
        public var idleSince: Date?
        /// Whether the task's channel is exclusive (a call needs an agent holding nothing).
        public var exclusiveChannel: Bool

        /// The reason in plain words.
        public var detail: String {
            switch kind {
            case .notAvailable: return status.rawValue
            case .atCapacity:
                return exclusiveChannel && totalLoad > 0 && load < capacity
                    ? "holds \(totalLoad) other task\(totalLoad == 1 ? "" : "s"); \(channel.rawValue) needs a free agent"
                    : "\(load) of \(capacity) \(channel.rawValue) tasks"
            case .onExclusiveTask: return "on an exclusive task (a call)"
            case .declinedBefore: return "declined the offer or let it expire"
            case .rankedLower:
                return (idleSince.map { "idle since \(RoutingText.time($0))" } ?? "never assigned") + ", holding \(totalLoad) of \(totalCapacity)"
            }
        }
    }
}

/// The engine's events as values (for logs, replays and tests).
public enum AssignmentEvent: Sendable, Hashable {
    case taskArrived(TaskRequest, now: Date)
    case agentStatusChanged(agent: String, status: AgentStatus, now: Date)
    case offerAccepted(task: String, agent: String, now: Date)
    case offerDeclined(task: String, agent: String, now: Date)
    case taskCompleted(task: String, now: Date)
    case taskWithdrawn(task: String, now: Date)
    case slaBreached(task: String, kind: SLAKind, now: Date)
    case offeredDirectly(TaskRequest, agent: String, now: Date)
    case tick(now: Date)
}
