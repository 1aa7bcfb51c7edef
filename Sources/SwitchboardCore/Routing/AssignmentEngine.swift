import Foundation

/// Who gets which task, as a value-typed state machine: events go in (a task arrived, an agent's
/// status changed, an offer was accepted, time passed), actions come out (offer, assign, wait,
/// escalate, notify). It never reads a clock and does no I/O, so every decision can be replayed.
///
/// Guarantees, checked after every event by the property tests:
/// - nothing is dropped: a task is waiting, reserved for its last agent, offered, or assigned
///   until it is completed or withdrawn;
/// - nothing is assigned twice: a task is offered to or held by at most one agent;
/// - no agent is over capacity on any channel (offers count), and a task on an exclusive channel
///   (voice) is never held together with any other;
/// - no task is offered to an agent who is not `available`;
/// - work-conserving: no task waits while an available agent with the skills has room for it
///   (except for agents who declined it, and a task reserved for its last agent).
///
/// Waiting tasks are kept per *bucket* (queue, channel, required skills), each a heap ordered by
/// priority then age. Each bucket knows its candidate agents and each agent its buckets, so an
/// arrival scans only the agents who could take the task and a freed slot looks only at the heads
/// of the buckets the agent serves.
public struct AssignmentEngine: Sendable {
    // MARK: Configuration

    var queueDefinitions: [QueueDefinition]
    var queueIndex: [String: Int]
    var skillIndex: [String: Int32]
    var acceptTimeout: Double
    var lastAgentTimeout: Double
    var autoAcceptMask: UInt8
    var exclusiveMask: UInt8
    /// Record an `AgentSelection` with every offer, assignment and wait (for `explain`).
    public var recordsExplanations: Bool

    // MARK: State

    var agents: [AgentState] = []
    var agentIndex: [String: Int32] = [:]
    var tasks: [TaskState] = []
    var freeTaskSlots: [Int32] = []
    var taskIndex: [String: Int32] = [:]
    var buckets: [Bucket] = []
    var bucketIndex: [BucketKey: Int32] = [:]
    var timers = BinaryHeap<Timer>()
    /// Per queue: the agent who got its last task (round robin).
    var roundRobinCursor: [Int32]
    var counter: UInt64 = 0

    /// All agents of the configuration start `offline`.
    public init(configuration: RoutingConfiguration, recordsExplanations: Bool = true) {
        queueDefinitions = configuration.queues
        queueIndex = [:]
        for (index, queue) in configuration.queues.enumerated() { queueIndex[queue.id] = index }
        skillIndex = [:]
        acceptTimeout = configuration.offers.acceptTimeout.timeInterval
        lastAgentTimeout = configuration.lastAgent.timeout.timeInterval
        autoAcceptMask = AssignmentEngine.mask(configuration.offers.autoAcceptChannels)
        exclusiveMask = AssignmentEngine.mask(configuration.exclusiveChannels)
        self.recordsExplanations = recordsExplanations
        roundRobinCursor = Array(repeating: -1, count: configuration.queues.count)
        for skill in configuration.skills { _ = skillID(skill) }
        for agent in configuration.agents { addAgent(agent) }
    }

    /// Adds an agent (offline until their status changes). For an existing id, replaces the
    /// agent's skills and capacity and keeps their tasks and status.
    public mutating func addAgent(_ definition: AgentDefinition) {
        var levels: [UInt8] = []
        for (skill, level) in definition.skills {
            let id = Int(skillID(skill))
            if levels.count <= id { levels += Array(repeating: 0, count: id + 1 - levels.count) }
            levels[id] = UInt8(clamping: level)
        }
        var capacity = SIMD8<Int32>()
        for (channel, count) in definition.capacity { capacity[channel.slot] = Int32(clamping: count) }
        if let existing = agentIndex[definition.id] {
            agents[Int(existing)].levels = levels
            agents[Int(existing)].capacity = capacity
            agents[Int(existing)].totalCapacity = capacity.wrappedSum()
            agents[Int(existing)].name = definition.name
            rebuildBuckets()
            return
        }
        let index = Int32(agents.count)
        agents.append(AgentState(id: definition.id, name: definition.name, levels: levels, capacity: capacity))
        agentIndex[definition.id] = index
        for bucketID in buckets.indices where qualifies(index, for: buckets[bucketID].key) {
            buckets[bucketID].candidates.append(index)
            agents[Int(index)].buckets.append(Int32(bucketID))
        }
    }

    // MARK: Events

    /// The one entry point for replaying a log of events.
    public mutating func handle(_ event: AssignmentEvent) -> [AssignmentAction] {
        switch event {
        case .taskArrived(let task, let now): taskArrived(task, now: now)
        case .agentStatusChanged(let agent, let status, let now): agentStatusChanged(agent, to: status, now: now)
        case .offerAccepted(let task, let agent, let now): offerAccepted(task: task, agent: agent, now: now)
        case .offerDeclined(let task, let agent, let now): offerDeclined(task: task, agent: agent, now: now)
        case .taskCompleted(let task, let now): taskCompleted(task, now: now)
        case .taskWithdrawn(let task, let now): taskWithdrawn(task, now: now)
        case .slaBreached(let task, let kind, let now): slaBreached(task, kind: kind, now: now)
        case .offeredDirectly(let task, let agent, let now): offerDirectly(task, to: agent, now: now)
        case .tick(let now): tick(now: now)
        }
    }

    /// A new task: offered at once when an agent can take it, else it waits.
    public mutating func taskArrived(_ request: TaskRequest, now: Date) -> [AssignmentAction] {
        guard taskIndex[request.id] == nil else {
            return [.reject(task: request.id, agent: nil, reason: "task \(request.id) is already known")]
        }
        var actions: [AssignmentAction] = []
        let slot = insertTask(request)
        place(slot, now: now.timeIntervalSince1970, actions: &actions)
        return actions
    }

    /// Hands a task to a named agent (a transfer to them): offered to them at once, or assigned on
    /// an auto-accept channel; declined or timed out, it goes to the next agent as any offer does.
    /// A task already known is first taken from where it is (its holder's slot frees) and replaced
    /// by `request`. Refused with one `.reject` that says why, and nothing changed, when the agent
    /// is not configured, already holds the task, is not `available`, lacks a skill the task needs,
    /// takes no work on its channel or has no room there: never over capacity, never to someone
    /// away or offline.
    public mutating func offerDirectly(_ request: TaskRequest, to agentID: String, now: Date) -> [AssignmentAction] {
        guard let agent = agentIndex[agentID] else {
            return [.reject(task: request.id, agent: agentID, reason: "agent \(agentID) is not configured")]
        }
        let existing = taskIndex[request.id]
        if let existing, agents[Int(agent)].active.contains(existing) {
            return [.reject(task: request.id, agent: agentID, reason: "\(agentID) already holds \(request.id)")]
        }
        var requirements = request.requiredSkills ?? queueDefinitions[queueID(request.queue)].requiredSkills
        if !SkillRequirement.isNormalized(requirements) { requirements = SkillRequirement.merged(requirements) }
        if let reason = directOfferBlocker(agent, requirements: requirements, channel: request.channel) {
            return [.reject(task: request.id, agent: agentID, reason: reason)]
        }
        let time = now.timeIntervalSince1970
        var actions: [AssignmentAction] = []
        if let existing { remove(existing, reason: "transferred", now: time, actions: &actions) }
        let slot = insertTask(request)
        let queue = queueDefinitions[Int(tasks[Int(slot)].queue)]
        let selection = recordsExplanations
            ? AgentSelection(queue: queue.id, strategy: queue.strategy, chosen: agentID, why: .named, candidates: 1, lackingSkills: 0)
            : nil
        offer(slot, to: agent, now: time, selection: selection, actions: &actions)
        return actions
    }

    /// Puts a task that was assigned before a restart back in the agent's hands, without an
    /// offer and even when the agent is now over capacity (they are working on it). False when
    /// the task is already known or the agent is not configured (the caller lets it arrive anew).
    public mutating func restoreAssigned(_ request: TaskRequest, agent agentID: String, now: Date) -> Bool {
        guard taskIndex[request.id] == nil, let agent = agentIndex[agentID] else { return false }
        let slot = insertTask(request)
        hold(slot, by: agent, now: now.timeIntervalSince1970)
        tasks[Int(slot)].state = .assigned(agent: agent)
        return true
    }

    /// Records a new task (its slot, index and timed escalation steps) without placing it.
    private mutating func insertTask(_ request: TaskRequest) -> Int32 {
        let queue = queueID(request.queue)
        let queueSkills = queueDefinitions[queue].requiredSkills
        var requirements = request.requiredSkills ?? queueSkills
        if !SkillRequirement.isNormalized(requirements) { requirements = SkillRequirement.merged(requirements) }
        let extras = request.requiredSkills == nil ? [] : requirements.filter { !queueSkills.contains($0) }
        counter &+= 1
        var task = TaskState(id: request.id, uid: counter, queue: Int32(queue), channel: request.channel,
                             priority: request.priority, arrival: request.arrival.timeIntervalSince1970,
                             requirements: requirements, extras: extras, steps: request.escalation)
        for index in request.firedSteps where task.fired.indices.contains(index) { task.fired[index] = true }
        if let preferred = request.preferredAgent, let agent = agentIndex[preferred], lastAgentTimeout > 0 {
            task.preferredAgent = agent
            task.preferredUntil = request.arrival.timeIntervalSince1970 + lastAgentTimeout
        }
        let slot: Int32
        if let free = freeTaskSlots.popLast() {
            slot = free
            tasks[Int(slot)] = task
        } else {
            slot = Int32(tasks.count)
            tasks.append(task)
        }
        taskIndex[request.id] = slot
        for (index, step) in request.escalation.enumerated() where !task.fired[index] {
            if case .after(let delay) = step.trigger {
                pushTimer(due: request.arrival.timeIntervalSince1970 + delay.timeInterval, kind: .escalation, slot: slot,
                          stamp: task.uid, aux: Int32(index))
            }
        }
        return slot
    }

    public mutating func agentStatusChanged(_ agentID: String, to status: AgentStatus, now: Date) -> [AssignmentAction] {
        guard let agent = agentIndex[agentID] else {
            return [.reject(task: nil, agent: agentID, reason: "agent \(agentID) is not configured")]
        }
        var actions: [AssignmentAction] = []
        changeStatus(agent, to: status, now: now.timeIntervalSince1970, actions: &actions)
        return actions
    }

    public mutating func offerAccepted(task taskID: String, agent agentID: String, now: Date) -> [AssignmentAction] {
        guard let slot = taskIndex[taskID], let agent = agentIndex[agentID],
              case .offered(let holder, _) = tasks[Int(slot)].state, holder == agent else {
            return [.reject(task: taskID, agent: agentID, reason: "no pending offer of \(taskID) to \(agentID) (expired, withdrawn or never made)")]
        }
        tasks[Int(slot)].state = .assigned(agent: agent)
        return [.assign(task: taskID, agent: agentID, selection: nil)]
    }

    public mutating func offerDeclined(task taskID: String, agent agentID: String, now: Date) -> [AssignmentAction] {
        guard let slot = taskIndex[taskID], let agent = agentIndex[agentID],
              case .offered(let holder, _) = tasks[Int(slot)].state, holder == agent else {
            return [.reject(task: taskID, agent: agentID, reason: "no pending offer of \(taskID) to \(agentID) to decline")]
        }
        var actions: [AssignmentAction] = []
        returnOffer(slot, from: agent, now: now.timeIntervalSince1970, actions: &actions)
        return actions
    }

    /// The work is done: the agent's slot frees and the next waiting task may take it. A task
    /// that was still waiting or offered is simply removed.
    public mutating func taskCompleted(_ taskID: String, now: Date) -> [AssignmentAction] {
        guard let slot = taskIndex[taskID] else { return [.reject(task: taskID, agent: nil, reason: "unknown task \(taskID)")] }
        var actions: [AssignmentAction] = []
        remove(slot, reason: "the task was completed", now: now.timeIntervalSince1970, actions: &actions)
        return actions
    }

    /// The customer gave up, or the conversation was closed before anyone took it.
    public mutating func taskWithdrawn(_ taskID: String, now: Date) -> [AssignmentAction] {
        guard let slot = taskIndex[taskID] else { return [.reject(task: taskID, agent: nil, reason: "unknown task \(taskID)")] }
        var actions: [AssignmentAction] = []
        remove(slot, reason: "the task was withdrawn", now: now.timeIntervalSince1970, actions: &actions)
        return actions
    }

    /// An SLA clock of the task breached: the steps triggered by that breach fire, in order.
    public mutating func slaBreached(_ taskID: String, kind: SLAKind, now: Date) -> [AssignmentAction] {
        guard let slot = taskIndex[taskID] else { return [.reject(task: taskID, agent: nil, reason: "unknown task \(taskID)")] }
        var actions: [AssignmentAction] = []
        let steps = tasks[Int(slot)].steps
        for index in steps.indices where steps[index].trigger == .breach(kind) {
            fireStep(slot, index, now: now.timeIntervalSince1970, actions: &actions)
        }
        return actions
    }

    /// Time passed: offers expire, timed escalation steps fire, last-agent reservations lapse.
    public mutating func tick(now: Date) -> [AssignmentAction] {
        let time = now.timeIntervalSince1970
        var actions: [AssignmentAction] = []
        while let timer = timers.first, timer.due <= time {
            timers.pop()
            guard isLive(timer) else { continue }
            let slot = timer.slot
            switch timer.kind {
            case .offerExpiry:
                guard case .offered(let agent, _) = tasks[Int(slot)].state else { continue }
                actions.append(.revoke(task: tasks[Int(slot)].id, agent: agents[Int(agent)].id, reason: "the offer timed out"))
                returnOffer(slot, from: agent, now: time, actions: &actions)
            case .escalation:
                fireStep(slot, Int(timer.aux), now: time, actions: &actions)
            case .preference:
                guard case .reserved(let agent) = tasks[Int(slot)].state else { continue }
                removeReservation(slot, agent: agent)
                tasks[Int(slot)].preferredAgent = -1
                place(slot, now: time, actions: &actions)
            }
        }
        return actions
    }

    // MARK: Reading state

    public func status(ofTask taskID: String) -> TaskStatus? {
        guard let slot = taskIndex[taskID] else { return nil }
        let task = tasks[Int(slot)]
        switch task.state {
        case .waiting, .placing: return .waiting(queue: queueDefinitions[Int(task.queue)].id)
        case .reserved(let agent): return .reserved(agent: agents[Int(agent)].id, until: Date(timeIntervalSince1970: task.preferredUntil))
        case .offered(let agent, let expires): return .offered(agent: agents[Int(agent)].id, expires: Date(timeIntervalSince1970: expires))
        case .assigned(let agent): return .assigned(agent: agents[Int(agent)].id)
        }
    }

    /// The queue a task is in now (escalations may have moved it).
    public func queue(ofTask taskID: String) -> String? {
        taskIndex[taskID].map { queueDefinitions[Int(tasks[Int($0)].queue)].id }
    }

    public func priority(ofTask taskID: String) -> Int? { taskIndex[taskID].map { tasks[Int($0)].priority } }

    public func requiredSkills(ofTask taskID: String) -> [SkillRequirement]? { taskIndex[taskID].map { tasks[Int($0)].requirements } }

    /// Indices of the task's escalation steps that have fired (to carry into a new engine on reload).
    public func firedSteps(ofTask taskID: String) -> [Int] {
        guard let slot = taskIndex[taskID] else { return [] }
        return tasks[Int(slot)].fired.indices.filter { tasks[Int(slot)].fired[$0] }
    }

    public func status(ofAgent agentID: String) -> AgentStatus? { agentIndex[agentID].map { agents[Int($0)].status } }

    /// Tasks the agent holds (offered or assigned) per channel.
    public func load(ofAgent agentID: String) -> [Channel: Int] {
        guard let index = agentIndex[agentID] else { return [:] }
        var result: [Channel: Int] = [:]
        for channel in Channel.allCases where agents[Int(index)].load[channel.slot] > 0 {
            result[channel] = Int(agents[Int(index)].load[channel.slot])
        }
        return result
    }

    /// Ids of the tasks the agent holds (offered or assigned).
    public func tasks(ofAgent agentID: String) -> [String] {
        guard let index = agentIndex[agentID] else { return [] }
        return agents[Int(index)].active.map { tasks[Int($0)].id }
    }

    /// How many tasks are known (waiting, reserved, offered or assigned).
    public var taskCount: Int { taskIndex.count }

    /// Waiting tasks of a queue, next in line first.
    public func waitingTasks(inQueue queueID: String) -> [String] {
        guard let queue = queueIndex[queueID] else { return [] }
        var waiting: [(WaitEntry, String)] = []
        for bucket in buckets where bucket.key.queue == Int32(queue) {
            for entry in bucket.heap.storage where isValid(entry) {
                waiting.append((entry, tasks[Int(entry.slot)].id))
            }
        }
        return waiting.sorted { $0.0 < $1.0 }.map(\.1)
    }

    public var agentIDs: [String] { agents.map(\.id) }
}

extension Channel {
    /// A dense index for per-channel capacity vectors.
    @inline(__always)
    var slot: Int {
        switch self {
        case .email: 0
        case .sms: 1
        case .chat: 2
        case .social: 3
        case .voice: 4
        case .web: 5
        case .other: 6
        }
    }

    var bit: UInt8 { 1 << UInt8(slot) }
}
