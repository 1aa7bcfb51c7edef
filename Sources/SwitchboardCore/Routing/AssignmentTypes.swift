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

    public init(id: String, queue: String, channel: Channel, priority: Int = 0, arrival: Date,
                requiredSkills: [SkillRequirement]? = nil, escalation: [EscalationStep] = [], preferredAgent: String? = nil) {
        self.id = id
        self.queue = queue
        self.channel = channel
        self.priority = priority
        self.arrival = arrival
        self.requiredSkills = requiredSkills
        self.escalation = escalation
        self.preferredAgent = preferredAgent
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
/// and shown by `switchboard explain`.
public struct AgentSelection: Sendable, Hashable {
    public var queue: String
    public var strategy: AssignmentStrategy
    /// The agent chosen, or nil when the task had to wait.
    public var chosen: String?
    public var reason: String
    /// Agents that have the skills and take work on the channel.
    public var candidates: Int
    /// Agents without the skills (or without capacity on the channel at all).
    public var lackingSkills: Int
    /// The candidates not chosen and why, in candidate order (at most `passedOverLimit`).
    public var passedOver: [PassedOver]
    /// How many candidates were passed over for each reason (all of them, not just those listed).
    public var passedOverCounts: [PassedOver.Kind: Int]

    public static let passedOverLimit = 25

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
        public var detail: String
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
    case tick(now: Date)
}
