import Dispatch
import Foundation
import SwitchboardCore
import SwitchboardStore
import Synchronization

/// What runs after a message is stored: the task that gets it an agent, the offers and
/// assignments of the `AssignmentEngine`, and the SLA clocks of every open task.
///
/// The engine and the clocks are pure values; this class owns them on ONE serial queue, feeds them
/// events (a committed message, an agent's status, an accept, a reply, time passing), writes what
/// they decide to the store (tasks, task events, agent status, in group commits) and tells agents
/// through the `AgentEventHub`. The store is the truth: at start the runtime rebuilds itself from
/// the open tasks and replays messages committed after its checkpoint, so a crash between a
/// message's commit and its task loses nothing.
final class TaskRuntime: @unchecked Sendable {
    /// Everything mutable lives on this queue.
    let queue = DispatchQueue(label: "switchboard.tasks")
    let store: Store
    let logger: Logger
    let hub: AgentEventHub
    let now: @Sendable () -> Date

    var routing: RoutingConfiguration
    var engine: AssignmentEngine
    var decider: InquiryDecider?
    /// Open tasks by id, and the open task of each conversation.
    var live: [String: LiveTask] = [:]
    var byConversation: [String: String] = [:]
    /// SLA deadlines to look at, earliest first (stale entries are skipped when they surface).
    var deadlines = BinaryHeap<Deadline>()
    /// The rowid of the last committed message handled (stored with each write as a checkpoint).
    var watermark: Int64 = 0
    var timer: DispatchSourceTimer?
    var timerDue: Date?
    var started = false
    /// When the checkpoint was last written; with nothing else to write it is written at most every
    /// `checkpointInterval` (a replay after a crash skips messages that already have their task).
    var checkpointWrittenAt = Date.distantPast
    static let checkpointInterval: TimeInterval = 5

    /// Whether committed messages can have anything to do here: with no agent configured they only
    /// move the checkpoint, and `heard` passes a batch on at most once per `idlePacer` interval
    /// (that one carries the watermark past the ones left out). Set true before a reconfiguration
    /// is queued and to the configuration's answer only by the last one queued, once it has run, so
    /// a batch heard while agents are being configured is never left out.
    private let assigns: Mutex<(yes: Bool, reconfigurationsQueued: Int)>
    private let idlePacer = Pacer(every: 1)

    static let checkpointAdapter = "switchboard.tasks"
    static let checkpointKey = "message_rowid"

    struct LiveTask {
        var record: TaskRecord
        var contactID: String
        var sla: SLATracker
        var plan: Plan
    }

    /// What the routing decision said about a task, kept for agents and `explain`.
    struct Plan {
        var rule: String
        var inquiryType: String?
        var response: ResponseChannel
        var suppressSales: Bool
        var targets: SLATargets
        var calendar: String?
        var skills: [SkillRequirement]
        var escalation: [EscalationStep]
    }

    struct Deadline: Comparable, Sendable {
        var due: Date
        var task: String
        static func < (a: Deadline, b: Deadline) -> Bool { a.due < b.due }
    }

    init(store: Store, routing: RoutingConfiguration, decider: InquiryDecider?, hub: AgentEventHub, logger: Logger,
         now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.routing = routing
        self.assigns = Mutex((!routing.agents.isEmpty, 0))
        self.engine = AssignmentEngine(configuration: routing)
        self.decider = decider
        self.hub = hub
        self.logger = logger
        self.now = now
    }

    // MARK: Start and stop

    /// Rebuilds the runtime from the store and replays what was committed after the checkpoint.
    /// Blocks until done (the daemon's start waits for it). Install the commit listener first:
    /// batches heard meanwhile wait on the queue and are handled after the replay (anything at or
    /// below the replay's watermark is skipped), so no message falls between the two.
    func start() throws(StoreError) {
        let result: Result<Void, StoreError> = queue.sync {
            do throws(StoreError) {
                try restore()
                started = true
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// The store's commit listener hands every committed batch here (the daemon fans it out).
    func heard(_ batch: [CommittedMessage]) {
        guard assigns.withLock({ $0.yes }) || idlePacer.ready() else { return }
        queue.async { [self] in committed(batch) }
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
            started = false
        }
        hub.closeAll()
    }

    /// A new routing configuration (reload): agents, queues and rules change; open tasks keep
    /// their state and are placed again under the new rules.
    func reconfigure(routing: RoutingConfiguration, decider: InquiryDecider?) {
        assigns.withLock { $0 = (true, $0.reconfigurationsQueued + 1) }
        queue.async { [self] in
            defer {
                let agents = !self.routing.agents.isEmpty
                assigns.withLock { state in
                    state.reconfigurationsQueued -= 1
                    if state.reconfigurationsQueued == 0 { state.yes = agents }
                }
            }
            let statuses = Dictionary(uniqueKeysWithValues: engine.agentIDs.compactMap { id in engine.status(ofAgent: id).map { (id, $0) } })
            // Steps that fired stay fired: the new engine must not fire them again.
            let fired = live.keys.reduce(into: [String: [Int]]()) { $0[$1] = engine.firedSteps(ofTask: $1) }
            self.routing = routing
            self.decider = decider
            engine = AssignmentEngine(configuration: routing)
            let at = now()
            for (agent, status) in statuses where status != .offline {
                _ = engine.agentStatusChanged(agent, to: status, now: at)
            }
            var changes = TaskChanges()
            var arriving: [String] = []
            for (id, task) in live.sorted(by: { $0.value.record.createdAt < $1.value.record.createdAt }) {
                if task.record.state == .assigned, let agent = task.record.agentID,
                   engine.restoreAssigned(request(for: task, firedSteps: fired[id] ?? []), agent: agent, now: at) { continue }
                arriving.append(id)
            }
            for id in arriving {
                guard let task = live[id] else { continue }
                perform(engine.taskArrived(request(for: task, firedSteps: fired[id] ?? []), now: at), at: at, into: &changes)
            }
            commit(changes)
            logger.info("task runtime reconfigured", ["open_tasks": String(live.count), "agents": String(routing.agents.count)])
        }
    }

    // MARK: Restoring from the store

    private func restore() throws(StoreError) {
        let at = now()
        let statuses = try store.agentStatuses()
        for agent in routing.agents {
            if let raw = statuses[agent.id], let status = AgentStatus(rawValue: raw), status != .offline {
                _ = engine.agentStatusChanged(agent.id, to: status, now: at)
            }
        }
        var changes = TaskChanges()
        var arriving: [(task: LiveTask, firedSteps: [Int])] = []
        let history = try store.openTaskEvents()
        for record in try store.openTasks() {
            guard let conversation = try store.conversation(id: record.conversationID) else { continue }
            let stored = try store.message(id: record.messageID)
            let plan = stored.flatMap { planFor(message: $0.message, decision: $0.message.decision?.routing ?? redecide($0.message)) }
                ?? fallbackPlan(queue: record.queue, channel: record.channel)
            let (task, fired) = restoredTask(record, contactID: conversation.contactID, plan: plan, events: history[record.id] ?? [])
            live[record.id] = task
            byConversation[record.conversationID] = record.id
            schedule(deadlineOf: record.id)
            if record.state == .assigned, let agent = record.agentID,
               engine.restoreAssigned(request(for: task, firedSteps: fired), agent: agent, now: at) { continue }
            arriving.append((task, fired))
        }
        for (task, fired) in arriving {
            if task.record.state != .waiting {
                // An offer does not survive a restart: the task is placed again.
                changes.updates.append(TaskUpdate(id: task.record.id, state: .waiting, agentID: nil))
                live[task.record.id]?.record.state = .waiting
                live[task.record.id]?.record.agentID = nil
            }
            perform(engine.taskArrived(request(for: task, firedSteps: fired), now: at), at: at, into: &changes)
        }
        if let stored = try store.checkpoint(adapterID: Self.checkpointAdapter, key: Self.checkpointKey), let rowID = Int64(stored) {
            watermark = rowID
        } else {
            // First start with tasks: messages stored before are history, not new work.
            watermark = try store.lastMessageRowID()
            changes.checkpoint = (Self.checkpointAdapter, Self.checkpointKey, String(watermark))
        }
        try replay(into: &changes)
        commit(changes)
        if routing.agents.isEmpty {
            logger.notice("no agents are configured: messages are classified, routed and stored, but no tasks are created",
                          ["hint": "add agents (and queues) to adapters.json and reload to assign work"])
        }
        logger.info("task runtime started", ["open_tasks": String(live.count), "agents": String(routing.agents.count),
                                             "waiting": String(live.values.filter { $0.record.state == .waiting }.count)])
    }

    /// Messages committed after the checkpoint that have no task decision yet (a crash came
    /// between their commit and the runtime's write).
    private func replay(into changes: inout TaskChanges) throws(StoreError) {
        while true {
            let batch = try store.inboundMessages(afterRowID: watermark, limit: 500)
            guard !batch.isEmpty else { return }
            for (rowID, stored) in batch {
                watermark = rowID
                // The checkpoint may lag behind: a message that already opened a task is skipped.
                if try store.task(openedBy: stored.id) != nil { continue }
                handleInbound(messageID: stored.id, conversationID: stored.conversationID, contactID: stored.contactID,
                              message: stored.message, routingDecision: stored.message.decision?.routing ?? redecide(stored.message),
                              into: &changes)
            }
            changes.checkpoint = (Self.checkpointAdapter, Self.checkpointKey, String(watermark))
        }
    }

    /// Decides a stored message again (its routing is not stored as a value).
    func redecide(_ message: InboundMessage) -> RoutingDecision? {
        guard message.decision != nil, let decider else { return nil }
        return decider.redecide(message).routing
    }

    // MARK: New messages

    /// Called on the queue with every batch the store committed.
    private func committed(_ batch: [CommittedMessage]) {
        guard started else { return }
        var changes = TaskChanges()
        for item in batch where item.rowID > watermark {
            handleInbound(messageID: item.outcome.messageID, conversationID: item.outcome.conversationID,
                          contactID: item.outcome.contactID, message: item.message,
                          routingDecision: item.message.decision?.routing, into: &changes)
            watermark = item.rowID
        }
        let at = now()
        if changes.isEmpty && at.timeIntervalSince(checkpointWrittenAt) < Self.checkpointInterval { return }
        checkpointWrittenAt = at
        changes.checkpoint = (Self.checkpointAdapter, Self.checkpointKey, String(watermark))
        commit(changes)
    }

    /// A customer's message: the open task of its conversation hears of it, or a new task starts
    /// when the matrix asks for one (or the customer wrote back after an automatic answer).
    func handleInbound(messageID: String, conversationID: String, contactID: String, message: InboundMessage,
                       routingDecision: RoutingDecision?, into changes: inout TaskChanges) {
        guard !routing.agents.isEmpty else { return }   // nobody to assign to: messages are routed and stored only
        let at = now()
        if let taskID = byConversation[conversationID], var task = live[taskID] {
            let events = task.sla.customerReplied(at: at)
            live[taskID] = task
            record(events, task: taskID, into: &changes)
            schedule(deadlineOf: taskID)   // a resumed clock has a deadline again
            changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "customer_replied", details: ["message": messageID]))
            if let agent = task.record.agentID {
                hub.publish(agent: agent, event: "message", json: AgentJSON.messageEvent(task: task.record, messageID: messageID))
            }
            return
        }
        guard let decision = routingDecision else { return }
        var needsAgent = decision.createsTask
        if !needsAgent {
            // Deflected by an automatic answer: a human takes over if the customer writes back.
            needsAgent = (try? store.hasAutomaticAnswer(conversationID: conversationID)) ?? false
        }
        guard needsAgent, routing.queue(decision.queue) != nil else { return }
        guard let plan = planFor(message: message, decision: decision) else { return }
        let id = SortableID.make("tk", now: at)
        let taskRecord = TaskRecord(id: id, conversationID: conversationID, messageID: messageID, queue: decision.queue,
                                channel: decision.response.channel, priority: decision.priority, state: .waiting,
                                createdAt: at, updatedAt: at, plan: plan.stored)
        var sla = SLATracker(targets: plan.targets, calendar: routing.calendar(forQueue: decision.queue), start: at)
        let slaEvents = sla.update(at: at)
        let preferred = routing.lastAgent.timeout > .zero ? ((try? store.lastAgent(contactID: contactID)) ?? nil) : nil
        var liveRecord = taskRecord
        liveRecord.plan = [:]   // kept in the store; rebuilt from `plan` when shown
        let task = LiveTask(record: liveRecord, contactID: contactID, sla: sla, plan: plan)
        live[id] = task
        byConversation[conversationID] = id
        changes.newTasks.append(taskRecord)
        changes.events.append(TaskEventRecord(taskID: id, at: at, kind: "created",
                                              details: ["message": messageID, "rule": decision.rule, "queue": decision.queue,
                                                        "priority": String(decision.priority)]))
        for clock in sla.clocks {
            changes.events.append(TaskEventRecord(taskID: id, at: at, kind: "sla_started",
                                                  details: ["clock": clock.kind.rawValue, "target_seconds": String(Int(clock.target)),
                                                            "calendar": plan.calendar ?? "always open"]))
        }
        record(slaEvents, task: id, into: &changes)
        schedule(deadlineOf: id)
        var request = request(for: task)
        request.preferredAgent = preferred
        perform(engine.taskArrived(request, now: at), at: at, into: &changes)
    }

    /// The engine's view of a task; `firedSteps`: escalation steps that fired before it is placed again.
    func request(for task: LiveTask, firedSteps: [Int] = []) -> TaskRequest {
        TaskRequest(id: task.record.id, queue: task.record.queue, channel: task.record.channel, priority: task.record.priority,
                    arrival: task.record.createdAt, requiredSkills: task.plan.skills, escalation: task.plan.escalation,
                    firedSteps: firedSteps)
    }

    func planFor(message: InboundMessage, decision: RoutingDecision?) -> Plan? {
        guard let decision else { return nil }
        return Plan(rule: decision.rule, inquiryType: message.decision?.inquiryType, response: decision.response,
                    suppressSales: decision.suppressSales, targets: decision.sla, calendar: decision.calendar,
                    skills: decision.requiredSkills, escalation: decision.escalation)
    }

    /// For a task whose opening message cannot be decided again (classifier off, message gone).
    func fallbackPlan(queue: String, channel: Channel) -> Plan {
        let definition = routing.queue(queue)
        return Plan(rule: "unknown", inquiryType: nil, response: ResponseChannel(channel: channel), suppressSales: false,
                    targets: definition?.slaTargets(for: channel) ?? SLATargets(), calendar: definition?.calendar,
                    skills: definition?.requiredSkills ?? [], escalation: [])
    }

    // MARK: Writing

    /// Queues the changes for the next group commit. A failure is logged: the engine already
    /// acted, and the next start rebuilds from what the store holds.
    func commit(_ changes: TaskChanges, completion: (@Sendable (Result<Void, StoreError>) -> Void)? = nil) {
        reschedule()
        store.apply(changes) { [logger] result in
            if case .failure(let error) = result {
                logger.error("could not store task changes; the next start rebuilds tasks from the store", ["error": error.description])
            }
            completion?(result)
        }
    }
}

extension TaskRuntime.Plan {
    /// The plan as stored on the task row (strings only).
    var stored: [String: String] {
        var out: [String: String] = ["rule": rule, "response_channel": response.description,
                                     "response_public": response.isPublic ? "true" : "false"]
        if let inquiryType { out["inquiry_type"] = inquiryType }
        if suppressSales { out["suppress_sales"] = "true" }
        if let first = targets.firstResponse { out["sla_first_response_seconds"] = String(first.components.seconds) }
        if let resolution = targets.resolution { out["sla_resolution_seconds"] = String(resolution.components.seconds) }
        if let calendar { out["calendar"] = calendar }
        if !skills.isEmpty { out["skills"] = skills.map(\.description).joined(separator: ", ") }
        return out
    }
}
