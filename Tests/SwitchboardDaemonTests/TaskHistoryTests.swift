import Foundation
import Testing
import SwitchboardCore
import SwitchboardStore
@testable import SwitchboardDaemon

/// What the task runtime reads back from an open task's stored events at start.
@Suite struct TaskHistoryTests {
    let t0 = Date(timeIntervalSince1970: 1_750_000_000)
    let steps = [
        EscalationStep(.noAgentAvailable, .notify("leads")),
        EscalationStep(.breach(.firstResponse), .notify("floor")),
        EscalationStep(.after(.seconds(120)), .moveToQueue("priority")),
        EscalationStep(.after(.seconds(600)), .notify("leads")),
    ]

    func event(_ seconds: Double, _ kind: String, _ details: [String: String] = [:]) -> TaskEventRecord {
        TaskEventRecord(taskID: "tk_1", at: t0.addingTimeInterval(seconds), kind: kind, details: details)
    }

    @Test func firedStepsClocksAndSkillsAreReadFromTheEvents() {
        let history = TaskRuntime.TaskHistory([
            event(0, "created"),
            event(0, "sla_started", ["clock": "first_response", "target_seconds": "60"]),
            event(0, "sla_started", ["clock": "resolution", "target_seconds": "3600"]),
            event(0, "notify", ["target": "leads", "step": "when no agent is available → notify leads"]),
            event(60, "sla_breached", ["clock": "first_response"]),
            event(60, "notify", ["target": "floor", "step": steps[1].description]),
            event(120, "escalated", ["step": steps[2].description, "queue": "priority", "skills": "general, spanish≥2"]),
            event(130, "replied", ["awaiting_customer": "true"]),
            event(130, "sla_stopped", ["clock": "first_response"]),
            event(130, "sla_paused", ["clock": "resolution"]),
        ], escalation: steps)
        #expect(history.firedSteps == [1, 2], "step 0 is named differently; step 3 never fired")
        #expect(history.skills == [SkillRequirement(skill: "general"), SkillRequirement(skill: "spanish", minimumLevel: 2)])
        #expect(!history.reopened)
        #expect(history.slaEvents.map { "\($0.kind.rawValue) \($0.event.rawValue)" } == [
            "first_response started", "resolution started", "first_response breached", "first_response stopped", "resolution paused",
        ])
    }

    @Test func twoStepsWithTheSameDescriptionAreMatchedInTurn() {
        let same = [EscalationStep(.noAgentAvailable, .notify("leads")), EscalationStep(.noAgentAvailable, .notify("leads"))]
        let once = TaskRuntime.TaskHistory([event(0, "notify", ["step": same[0].description])], escalation: same)
        #expect(once.firedSteps == [0])
        let twice = TaskRuntime.TaskHistory([event(0, "notify", ["step": same[0].description]),
                                             event(1, "notify", ["step": same[0].description]),
                                             event(2, "notify", ["step": same[0].description])], escalation: same)
        #expect(twice.firedSteps == [0, 1])
    }

    @Test func aTransferSetsTheSkillsAndAReopenDropsTheFirstResponseClock() {
        let history = TaskRuntime.TaskHistory([
            event(0, "reopened", ["previous_task": "tk_0"]),
            event(5, "escalated", ["step": steps[2].description, "skills": "billing≥3"]),
            event(9, "transferred", ["queue": "general", "skills": "none"]),
        ], escalation: steps)
        #expect(history.reopened)
        #expect(history.skills == [])
        #expect(history.firedSteps == [2])
    }
}
