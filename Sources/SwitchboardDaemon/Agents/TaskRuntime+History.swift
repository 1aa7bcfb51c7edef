import Foundation
import SwitchboardCore
import SwitchboardStore

extension TaskRuntime {
    /// What an open task's stored events say it already went through, for rebuilding it at start:
    /// the SLA clocks' pauses, resumes, breaches and stops; which escalation steps fired; the
    /// skills it needs after escalations and transfers; whether it was reopened. A restart then
    /// stores no breach twice, fires no step again, and keeps a clock paused while the customer
    /// is awaited.
    struct TaskHistory {
        var slaEvents: [SLAEvent] = []
        /// Indices into the plan's escalation steps, ascending.
        var firedSteps: [Int] = []
        /// The requirements after the last escalation or transfer (nil: the plan's).
        var skills: [SkillRequirement]?
        /// A reopened task has a resolution clock only.
        var reopened = false

        /// `escalation`: the plan's steps, matched by their description (the stored event names
        /// the step, so a reordered configuration still finds it).
        init(_ events: [TaskEventRecord], escalation: [EscalationStep]) {
            var unfired = Array(escalation.indices)
            for event in events {
                switch event.kind {
                case "escalated", "notify":
                    if let step = event.details["step"], let position = unfired.firstIndex(where: { escalation[$0].description == step }) {
                        firedSteps.append(unfired.remove(at: position))
                    }
                    if event.kind == "escalated", let text = event.details["skills"] { skills = SkillRequirement.parseList(text) ?? skills }
                case "transferred":
                    if let text = event.details["skills"] { skills = SkillRequirement.parseList(text) ?? skills }
                case "reopened":
                    reopened = true
                default:
                    guard event.kind.hasPrefix("sla_"), let clock = event.details["clock"].flatMap(SLAKind.init(rawValue:)),
                          let kind = SLAEvent.Kind(rawValue: String(event.kind.dropFirst(4))) else { continue }
                    slaEvents.append(SLAEvent(kind: clock, event: kind, time: event.at))
                }
            }
            firedSteps.sort()
        }
    }

    /// An open task as it stood before the restart: its plan with the skills it needs now, and
    /// its SLA clocks replayed from their stored events.
    func restoredTask(_ record: TaskRecord, contactID: String, plan original: Plan,
                      events: [TaskEventRecord]) -> (task: LiveTask, firedSteps: [Int]) {
        let history = TaskHistory(events, escalation: original.escalation)
        var plan = original
        if let skills = history.skills { plan.skills = skills }
        var targets = plan.targets
        if history.reopened { targets.firstResponse = nil }
        var sla = SLATracker(targets: targets, calendar: routing.calendar(forQueue: record.queue), start: record.createdAt)
        sla.replay(history.slaEvents)
        // A store written before SLA events were replayed: the first reply still stops the clock.
        if let answered = record.firstResponseAt { sla.agentResponded(at: answered, awaitingCustomer: false) }
        var liveRecord = record
        liveRecord.plan = [:]
        return (LiveTask(record: liveRecord, contactID: contactID, sla: sla, plan: plan), history.firedSteps)
    }
}
