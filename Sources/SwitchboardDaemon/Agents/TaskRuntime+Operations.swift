import Dispatch
import Foundation
import SwitchboardCore
import SwitchboardStore

/// An agent API call that could not be done, as the API answers it.
struct AgentAPIError: Error, Sendable {
    var status: Int
    var code: String
    var message: String
    var hint: String?

    static func notFound(_ message: String, hint: String? = nil) -> AgentAPIError { AgentAPIError(status: 404, code: "not_found", message: message, hint: hint) }
    static func conflict(_ message: String, hint: String? = nil) -> AgentAPIError { AgentAPIError(status: 409, code: "conflict", message: message, hint: hint) }
    static func invalid(_ message: String, hint: String? = nil) -> AgentAPIError { AgentAPIError(status: 400, code: "invalid_request", message: message, hint: hint) }
    static func forbidden(_ message: String) -> AgentAPIError { AgentAPIError(status: 403, code: "forbidden", message: message) }
    static func store(_ error: StoreError) -> AgentAPIError { AgentAPIError(status: 500, code: "store_failed", message: error.description) }
}

typealias AgentReply = @Sendable (Result<[UInt8], AgentAPIError>) -> Void

/// What agents (and supervisors on the local socket) ask of the runtime. Each runs on the
/// runtime's queue; answers that change state are sent after the change is committed.
extension TaskRuntime {
    /// Runs `body` on the queue; when it returns changes, answers after they are committed.
    private func operate(_ reply: @escaping AgentReply,
                         _ body: @escaping @Sendable (inout TaskChanges) throws(AgentAPIError) -> [UInt8]) {
        queue.async { [self] in
            guard started else {
                return reply(.failure(AgentAPIError(status: 503, code: "not_running", message: "the task runtime is not running")))
            }
            var changes = TaskChanges()
            let answer: [UInt8]
            do throws(AgentAPIError) {
                answer = try body(&changes)
            } catch {
                reply(.failure(error))
                return
            }
            commit(changes) { result in
                switch result {
                case .success: reply(.success(answer))
                case .failure(let error): reply(.failure(.store(error)))
                }
            }
        }
    }

    private func requireAgent(_ agent: String) throws(AgentAPIError) {
        guard routing.agent(agent) != nil else {
            throw .notFound("no agent \(agent) in the configuration", hint: "agents are defined in the \"agents\" section of adapters.json")
        }
    }

    private func requireTask(_ taskID: String) throws(AgentAPIError) -> LiveTask {
        guard let task = live[taskID] else { throw .notFound("no open task \(taskID)", hint: "it may be resolved; GET /v1/tasks/\(taskID) shows its history") }
        return task
    }

    // MARK: Reading

    /// The agent's status, load and tasks held.
    func overview(agent: String, reply: @escaping AgentReply) {
        queue.async { [self] in
            guard let definition = routing.agent(agent) else {
                return reply(.failure(.notFound("no agent \(agent) in the configuration")))
            }
            var w = JSONWriter(capacity: 1024)
            AgentJSON.writeAgent(definition, status: engine.status(ofAgent: agent) ?? .offline, load: engine.load(ofAgent: agent),
                                 tasks: engine.tasks(ofAgent: agent).compactMap { live[$0] }, into: &w)
            reply(.success(w.bytes))
        }
    }

    /// Every agent, and every queue with its waiting tasks next in line first.
    func board(reply: @escaping AgentReply) {
        queue.async { [self] in
            var w = JSONWriter(capacity: 4096)
            w.object { w in
                w.field("agents", array: { w in
                    for definition in routing.agents {
                        AgentJSON.writeAgent(definition, status: engine.status(ofAgent: definition.id) ?? .offline,
                                             load: engine.load(ofAgent: definition.id),
                                             tasks: engine.tasks(ofAgent: definition.id).compactMap { live[$0] }, into: &w)
                    }
                })
                w.field("queues", array: { w in
                    for queue in routing.queues {
                        let waiting = engine.waitingTasks(inQueue: queue.id)
                        w.object { w in
                            w.field("id", queue.id)
                            w.field("strategy", queue.strategy.rawValue)
                            w.field("waiting", waiting.count)
                            w.field("next", array: { w in for id in waiting.prefix(20) { w.value(id) } })
                        }
                    }
                })
                w.field("open_tasks", live.count)
            }
            reply(.success(w.bytes))
        }
    }

    /// Whether the agent may read and act on a conversation: they hold its open task (offered or
    /// assigned) or held its last one.
    func mayAccess(agent: String, conversationID: String, reply: @escaping @Sendable (Bool) -> Void) {
        queue.async { [self] in
            if let taskID = byConversation[conversationID], let task = live[taskID] {
                return reply(task.record.agentID == agent)
            }
            let last = (try? store.tasks(conversationID: conversationID))?.first
            reply(last?.agentID == agent)
        }
    }

    /// The SLA clocks of an open task (nil once resolved).
    func slaState(task taskID: String, reply: @escaping @Sendable (SLATracker?) -> Void) {
        queue.async { [self] in reply(live[taskID]?.sla) }
    }

    /// The open task of a conversation, if any.
    func openTask(conversationID: String, reply: @escaping @Sendable (TaskRecord?) -> Void) {
        queue.async { [self] in reply(byConversation[conversationID].flatMap { live[$0]?.record }) }
    }

    // MARK: Changing

    func setStatus(agent: String, to status: AgentStatus, reply: @escaping AgentReply) {
        operate(reply) { [self] changes throws(AgentAPIError) in
            try requireAgent(agent)
            let at = now()
            let previous = engine.status(ofAgent: agent) ?? .offline
            hub.publish(agent: agent, event: "status", json: AgentJSON.statusEvent(agent: agent, status: status))
            perform(engine.agentStatusChanged(agent, to: status, now: at), at: at, into: &changes)
            changes.agentStatuses[agent] = status.rawValue
            logger.info("agent status changed", ["agent": agent, "from": previous.rawValue, "to": status.rawValue])
            var w = JSONWriter(capacity: 256)
            w.object { w in
                w.field("agent", agent)
                w.field("status", status.rawValue)
                w.field("previous", previous.rawValue)
                w.field("tasks", array: { w in for id in engine.tasks(ofAgent: agent) { w.value(id) } })
            }
            return w.bytes
        }
    }

    func accept(agent: String, task taskID: String, reply: @escaping AgentReply) {
        answerOffer(agent: agent, task: taskID, accepted: true, reply: reply)
    }

    func decline(agent: String, task taskID: String, reply: @escaping AgentReply) {
        answerOffer(agent: agent, task: taskID, accepted: false, reply: reply)
    }

    /// An agent accepts or declines an offer made to them; anything else is a conflict.
    private func answerOffer(agent: String, task taskID: String, accepted: Bool, reply: @escaping AgentReply) {
        operate(reply) { [self] changes throws(AgentAPIError) in
            try requireAgent(agent)
            _ = try requireTask(taskID)
            let at = now()
            let actions = accepted ? engine.offerAccepted(task: taskID, agent: agent, now: at)
                                   : engine.offerDeclined(task: taskID, agent: agent, now: at)
            if case .reject(_, _, let reason) = actions.first {
                throw .conflict(reason, hint: "offers expire after the accept timeout; GET your assignments for what you hold")
            }
            changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: accepted ? "accepted" : "declined", agentID: agent))
            perform(actions, at: at, into: &changes)
            return AgentJSON.task(live[taskID])
        }
    }

    /// Moves a task to another queue, or hands it to a named agent (and their queue, when both
    /// are given). A named agent gets it directly (`AssignmentEngine.offerDirectly`) or the call is
    /// refused with a 409 that says why (not available, lacking a skill, no room on the channel)
    /// and nothing changes. The task keeps the escalation steps that already fired.
    func transfer(task taskID: String, by agent: String?, toQueue: String?, toAgent: String?, reply: @escaping AgentReply) {
        operate(reply) { [self] changes throws(AgentAPIError) in
            var task = try requireTask(taskID)
            if let agent, task.record.agentID != agent { throw .forbidden("task \(taskID) is not yours to transfer") }
            guard toQueue != nil || toAgent != nil else { throw .invalid("say where to: \"queue\", \"agent\" or both") }
            if let toQueue, routing.queue(toQueue) == nil { throw .notFound("no queue \(toQueue) in the configuration") }
            if let toAgent { try requireAgent(toAgent) }
            let at = now()
            let from = task.record.agentID
            if let toQueue, toQueue != task.record.queue {
                // A new queue: its skills, not the ones the old rule asked for.
                task.record.queue = toQueue
                task.plan.skills = routing.queue(toQueue)?.requiredSkills ?? []
            }
            var request = request(for: task, firedSteps: engine.firedSteps(ofTask: taskID))
            request.arrival = at
            let actions: [AssignmentAction]
            if let toAgent {
                actions = engine.offerDirectly(request, to: toAgent, now: at)
                if case .reject(_, _, let reason)? = actions.first {
                    throw .conflict("task \(taskID) cannot go to \(toAgent): \(reason)",
                                    hint: "an agent is handed a task only when available, with its skills and room on its channel; transfer it to a queue to let it wait")
                }
            } else {
                actions = engine.taskWithdrawn(taskID, now: at) + engine.taskArrived(request, now: at)
            }
            task.record.state = .waiting
            task.record.agentID = nil
            live[taskID] = task
            changes.updates.append(TaskUpdate(id: taskID, state: .waiting, agentID: nil, queue: task.record.queue))
            changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "transferred", agentID: from,
                                                  details: ["queue": task.record.queue, "to_agent": toAgent ?? "-",
                                                            "skills": SkillRequirement.listDescription(task.plan.skills)]))
            if let from { hub.publish(agent: from, event: "revoked", json: AgentJSON.taskEvent(task.record, plan: nil, expires: nil, reason: "transferred")) }
            perform(actions, at: at, into: &changes)
            return AgentJSON.task(live[taskID])
        }
    }

    /// An agent's reply was stored: the first-response clock stops; when the reply waits for the
    /// customer, the resolution clock pauses until they write.
    func agentReplied(conversationID: String, agent: String, messageID: String, awaitingCustomer: Bool) {
        queue.async { [self] in
            guard let taskID = byConversation[conversationID], var task = live[taskID] else { return }
            let at = now()
            var changes = TaskChanges()
            let first = task.record.firstResponseAt == nil
            let events = task.sla.agentResponded(at: at, awaitingCustomer: awaitingCustomer)
            if first { task.record.firstResponseAt = at }
            live[taskID] = task
            changes.updates.append(TaskUpdate(id: taskID, state: task.record.state, agentID: task.record.agentID, firstResponseAt: at))
            changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "replied", agentID: agent,
                                                  details: ["message": messageID, "awaiting_customer": awaitingCustomer ? "true" : "false"]))
            record(events, task: taskID, into: &changes)
            schedule(deadlineOf: taskID)
            commit(changes)
        }
    }

    func resolve(conversationID: String, by agent: String?, reply: @escaping AgentReply) {
        operate(reply) { [self] changes throws(AgentAPIError) in
            let at = now()
            if let taskID = byConversation[conversationID], var task = live[taskID] {
                if let agent, task.record.agentID != agent { throw .forbidden("the conversation's task is not yours") }
                perform(engine.taskCompleted(taskID, now: at), at: at, into: &changes)
                let events = task.sla.resolved(at: at)
                task.record.state = .resolved
                task.record.resolvedAt = at
                record(events, task: taskID, into: &changes)
                changes.updates.append(TaskUpdate(id: taskID, state: .resolved, agentID: task.record.agentID, resolvedAt: at))
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "resolved", agentID: agent ?? task.record.agentID))
                live[taskID] = nil
                byConversation[conversationID] = nil
            } else if agent != nil {
                throw .conflict("conversation \(conversationID) has no open task", hint: "it may be resolved already")
            } else if (try? store.conversation(id: conversationID)) == nil {
                throw .notFound("no conversation \(conversationID)")
            }
            changes.resolveConversations.append(conversationID)
            var w = JSONWriter(capacity: 128)
            w.object { w in
                w.field("conversation", conversationID)
                w.field("status", "resolved")
            }
            return w.bytes
        }
    }

    /// Opens a resolved conversation again with a new task in the queue of its last one.
    func reopen(conversationID: String, by agent: String?, reply: @escaping AgentReply) {
        operate(reply) { [self] changes throws(AgentAPIError) in
            if let taskID = byConversation[conversationID] { throw .conflict("conversation \(conversationID) is open (task \(taskID))") }
            let previous: TaskRecord?
            let conversation: (contactID: String, isOpen: Bool, channel: Channel?)?
            do throws(StoreError) {
                conversation = try store.conversation(id: conversationID)
                previous = try store.tasks(conversationID: conversationID).first
            } catch {
                throw .store(error)
            }
            guard let conversation else { throw .notFound("no conversation \(conversationID)") }
            if let agent, previous?.agentID != agent { throw .forbidden("only the conversation's last agent may reopen it") }
            guard let previous else { throw .conflict("conversation \(conversationID) never had a task to reopen") }
            let at = now()
            let stored = try? store.message(id: previous.messageID)
            let plan = stored.flatMap { planFor(message: $0.message, decision: redecide($0.message)) }
                ?? fallbackPlan(queue: previous.queue, channel: previous.channel)
            let id = SortableID.make("tk", now: at)
            let record = TaskRecord(id: id, conversationID: conversationID, messageID: previous.messageID,
                                    queue: routing.queue(previous.queue) != nil ? previous.queue : (routing.defaultActions?.queue ?? previous.queue),
                                    channel: previous.channel, priority: previous.priority, state: .waiting,
                                    createdAt: at, updatedAt: at, plan: plan.stored)
            let targets = SLATargets(firstResponse: nil, resolution: plan.targets.resolution)
            let task = LiveTask(record: record, contactID: conversation.contactID,
                                sla: SLATracker(targets: targets, calendar: routing.calendar(forQueue: record.queue), start: at), plan: plan)
            live[id] = task
            byConversation[conversationID] = id
            changes.reopenConversations.append(conversationID)
            changes.newTasks.append(record)
            changes.events.append(TaskEventRecord(taskID: id, at: at, kind: "reopened", agentID: agent, details: ["previous_task": previous.id]))
            schedule(deadlineOf: id)
            var request = request(for: task)
            request.preferredAgent = previous.agentID
            perform(engine.taskArrived(request, now: at), at: at, into: &changes)
            return AgentJSON.task(live[id])
        }
    }
}
