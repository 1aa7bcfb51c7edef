import Dispatch
import Foundation
import SwitchboardCore
import SwitchboardStore

/// Carrying out what the engine and the clocks decide: rows and events for the store, messages
/// for agents, and the timer that wakes the runtime for the next offer expiry or SLA deadline.
extension TaskRuntime {
    func perform(_ actions: [AssignmentAction], at: Date, into changes: inout TaskChanges) {
        for action in actions {
            switch action {
            case .offer(let taskID, let agent, let expires, let selection):
                guard let task = update(taskID, state: .offered, agent: agent, into: &changes) else { continue }
                var details = Self.details(selection)
                details["expires_at"] = RFC3339.format(expires)
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "offered", agentID: agent, details: details))
                hub.publish(agent: agent, event: "offer", json: AgentJSON.taskEvent(task, plan: live[taskID]?.plan, expires: expires, reason: selection?.reason))
            case .assign(let taskID, let agent, let selection):
                guard let task = update(taskID, state: .assigned, agent: agent, into: &changes) else { continue }
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "assigned", agentID: agent,
                                                      details: Self.details(selection)))
                hub.publish(agent: agent, event: "assignment", json: AgentJSON.taskEvent(task, plan: live[taskID]?.plan, expires: nil, reason: selection?.reason))
            case .wait(let taskID, let queue, let selection):
                guard update(taskID, state: .waiting, agent: nil, into: &changes) != nil else { continue }
                var details = Self.details(selection)
                details["queue"] = queue
                if details["reason"] == nil { details["reason"] = "nobody can take it now" }
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "waiting", details: details))
            case .reserve(let taskID, let agent, let until):
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "reserved", agentID: agent,
                                                      details: ["until": RFC3339.format(until),
                                                                "reason": "waiting for the customer's previous agent"]))
            case .revoke(let taskID, let agent, let reason):
                guard let task = update(taskID, state: .waiting, agent: nil, into: &changes) else { continue }
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "revoked", agentID: agent, details: ["reason": reason]))
                hub.publish(agent: agent, event: "revoked", json: AgentJSON.taskEvent(task, plan: nil, expires: nil, reason: reason))
            case .requeue(let taskID, let agent):
                guard let task = update(taskID, state: .waiting, agent: nil, into: &changes) else { continue }
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "requeued", agentID: agent,
                                                      details: ["reason": "the agent went offline"]))
                hub.publish(agent: agent, event: "revoked", json: AgentJSON.taskEvent(task, plan: nil, expires: nil, reason: "you went offline"))
            case .escalate(let taskID, let step):
                guard var task = live[taskID] else { continue }
                if let queue = engine.queue(ofTask: taskID) { task.record.queue = queue }
                if let priority = engine.priority(ofTask: taskID) { task.record.priority = priority }
                // Kept (and stored) so that a reload or restart places the task with what it needs now.
                if let skills = engine.requiredSkills(ofTask: taskID) { task.plan.skills = skills }
                live[taskID] = task
                changes.updates.append(TaskUpdate(id: taskID, state: task.record.state, agentID: task.record.agentID,
                                                  queue: task.record.queue, priority: task.record.priority))
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "escalated",
                                                      details: ["step": step.description, "queue": task.record.queue,
                                                                "priority": String(task.record.priority),
                                                                "skills": SkillRequirement.listDescription(task.plan.skills)]))
            case .notify(let taskID, let target, let step):
                changes.events.append(TaskEventRecord(taskID: taskID, at: at, kind: "notify", details: ["target": target, "step": step.description]))
                logger.warning("escalation asks for someone to be told", ["task": taskID, "target": target, "step": step.description])
                hub.publish(agent: nil, event: "notify", json: AgentJSON.notifyEvent(task: taskID, target: target, step: step.description))
            case .reject(let taskID, let agent, let reason):
                logger.debug("assignment event did not apply", ["task": taskID ?? "-", "agent": agent ?? "-", "reason": reason])
            }
        }
    }

    /// Why the engine chose an agent and passed over the others, as stored event details.
    static func details(_ selection: AgentSelection?) -> [String: String] {
        guard let selection else { return [:] }
        var out = ["reason": selection.reason, "strategy": selection.strategy.rawValue,
                   "candidates": String(selection.candidates), "lacking_skills": String(selection.lackingSkills)]
        if !selection.passedOver.isEmpty {
            out["passed_over"] = selection.passedOver.map { "\($0.agent): \($0.detail)" }.joined(separator: "; ")
        }
        return out
    }

    /// Moves a live task to a new placement; nil when the task is no longer open.
    private func update(_ taskID: String, state: TaskRecord.State, agent: String?, into changes: inout TaskChanges) -> TaskRecord? {
        guard var task = live[taskID] else { return nil }
        task.record.state = state
        task.record.agentID = agent
        task.record.updatedAt = now()
        live[taskID] = task
        changes.updates.append(TaskUpdate(id: taskID, state: state, agentID: agent))
        return task.record
    }

    /// SLA clock events become task events; a breach fires the matrix's escalation steps.
    func record(_ events: [SLAEvent], task taskID: String, into changes: inout TaskChanges) {
        for event in events {
            changes.events.append(TaskEventRecord(taskID: taskID, at: event.time, kind: "sla_\(event.event.rawValue)",
                                                  details: ["clock": event.kind.rawValue]))
            if event.event == .breached {
                logger.warning("service level missed", ["task": taskID, "clock": event.kind.rawValue,
                                                        "queue": live[taskID]?.record.queue ?? "-"])
                hub.publish(agent: live[taskID]?.record.agentID, event: "sla_breached",
                            json: AgentJSON.notifyEvent(task: taskID, target: event.kind.rawValue, step: "breached"))
                perform(engine.slaBreached(taskID, kind: event.kind, now: event.time), at: event.time, into: &changes)
            }
        }
    }

    /// Remembers when the task's running clocks next breach.
    func schedule(deadlineOf taskID: String) {
        guard let due = live[taskID]?.sla.nextDeadline else { return }
        deadlines.push(Deadline(due: due, task: taskID))
    }

    /// Arms the timer for the earliest of the engine's wake-up and the SLA deadlines.
    func reschedule() {
        var due = engine.nextWakeup()
        while let first = deadlines.first, live[first.task] == nil { deadlines.pop() }
        if let deadline = deadlines.first?.due { due = min(due ?? deadline, deadline) }
        guard let due else {
            timer?.cancel()
            timer = nil
            timerDue = nil
            return
        }
        if timerDue == due, timer != nil { return }
        timer?.cancel()
        let source = DispatchSource.makeTimerSource(queue: queue)
        let delay = max(0, due.timeIntervalSince(now()))
        source.schedule(deadline: .now() + .milliseconds(Int(delay * 1000) + 5), leeway: .milliseconds(50))
        source.setEventHandler { [weak self] in self?.wake() }
        source.resume()
        timer = source
        timerDue = due
    }

    /// Time passed: offers expire, timed escalations fire, SLA clocks breach.
    func wake() {
        guard started else { return }
        timer = nil
        timerDue = nil
        let at = now()
        var changes = TaskChanges()
        perform(engine.tick(now: at), at: at, into: &changes)
        while let first = deadlines.first, first.due < at {
            deadlines.pop()
            guard var task = live[first.task] else { continue }
            let events = task.sla.update(at: at)
            live[first.task] = task
            record(events, task: first.task, into: &changes)
            schedule(deadlineOf: first.task)
        }
        commit(changes)
    }
}
