import Foundation
import Testing
@testable import SwitchboardCore

let t0 = at("2025-03-11T09:00:00Z")
func t(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

/// A configuration for engine tests: agents with chat capacity, one queue per strategy.
func engineConfiguration(agents: [AgentDefinition], queues: [QueueDefinition]? = nil, autoAccept: Set<Channel> = [],
                         lastAgent: Duration = .seconds(60)) -> RoutingConfiguration {
    RoutingConfiguration(
        skills: ["billing", "technical", "general"],
        queues: queues ?? [
            QueueDefinition(id: "idle", strategy: .longestIdle),
            QueueDefinition(id: "busy", strategy: .leastBusy),
            QueueDefinition(id: "rr", strategy: .roundRobin),
            QueueDefinition(id: "billing", requiredSkills: [SkillRequirement(skill: "billing", minimumLevel: 3)]),
            QueueDefinition(id: "general"),
        ],
        agents: agents, defaultActions: RuleActions(queue: "general"),
        offers: OfferSettings(acceptTimeout: .seconds(30), autoAcceptChannels: autoAccept),
        lastAgent: LastAgentSettings(timeout: lastAgent))
}

func chatAgent(_ id: String, chat: Int = 3, skills: [String: Int] = [:], voice: Int = 0, email: Int = 0) -> AgentDefinition {
    var capacity: [Channel: Int] = [.chat: chat]
    if voice > 0 { capacity[.voice] = voice }
    if email > 0 { capacity[.email] = email }
    return AgentDefinition(id: id, skills: skills, capacity: capacity)
}

/// The (task, agent) pairs of offers and assignments in a list of actions.
func handedOut(_ actions: [AssignmentAction]) -> [String] {
    actions.compactMap { action in
        switch action {
        case .offer(let task, let agent, _, _): "\(task)→\(agent)"
        case .assign(let task, let agent, _): "\(task)=\(agent)"
        default: nil
        }
    }
}

func task(_ id: String, _ queue: String, at time: Date = t0, channel: Channel = .chat, priority: Int = 0,
          skills: [SkillRequirement]? = nil, escalation: [EscalationStep] = [], preferred: String? = nil) -> TaskRequest {
    TaskRequest(id: id, queue: queue, channel: channel, priority: priority, arrival: time, requiredSkills: skills,
                escalation: escalation, preferredAgent: preferred)
}

extension AssignmentEngine {
    mutating func online(_ ids: String..., at time: Date = t0) {
        for id in ids { _ = agentStatusChanged(id, to: .available, now: time) }
    }
}

@Suite struct AssignmentEngineTests {
    // MARK: Strategies

    @Test func longestIdleGivesWorkToWhoeverWaitedLongest() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a"), chatAgent("b"), chatAgent("c")], autoAccept: [.chat]))
        engine.online("c", at: t(0))
        engine.online("a", at: t(1))
        engine.online("b", at: t(2))
        var order: [String] = []
        for n in 1...6 { order += handedOut(engine.taskArrived(task("t\(n)", "idle", at: t(Double(10 * n))), now: t(Double(10 * n)))) }
        #expect(order == ["t1=c", "t2=a", "t3=b", "t4=c", "t5=a", "t6=b"])
        #expect(engine.invariantViolations().isEmpty)
    }

    @Test func leastBusyPrefersTheSmallestShareOfCapacity() {
        var engine = AssignmentEngine(configuration: engineConfiguration(
            agents: [chatAgent("a", chat: 4), chatAgent("b", chat: 2), chatAgent("c", chat: 4)], autoAccept: [.chat]))
        engine.online("a")
        _ = engine.taskArrived(task("x1", "busy"), now: t(1))
        _ = engine.taskArrived(task("x2", "busy"), now: t(2))
        engine.online("b", "c", at: t(3))
        // a holds 2 of 4 (50%), b 0 of 2, c 0 of 4: b and c tie at 0%; b has been idle as long as c, lower index wins.
        #expect(handedOut(engine.taskArrived(task("x3", "busy"), now: t(4))) == ["x3=b"])
        // b 1 of 2 (50%), c 0 of 4.
        #expect(handedOut(engine.taskArrived(task("x4", "busy"), now: t(5))) == ["x4=c"])
        // a 50%, b 50%, c 25%.
        #expect(handedOut(engine.taskArrived(task("x5", "busy"), now: t(6))) == ["x5=c"])
        // a 50% idle since 2, b 50% idle since 4, c 50% idle since 6: longest idle breaks the tie.
        #expect(handedOut(engine.taskArrived(task("x6", "busy"), now: t(7))) == ["x6=a"])
    }

    @Test func roundRobinTakesTurnsAndSkipsWhoeverCannot() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a"), chatAgent("b"), chatAgent("c")], autoAccept: [.chat]))
        engine.online("a", "b", "c")
        var order: [String] = []
        for n in 1...4 { order += handedOut(engine.taskArrived(task("r\(n)", "rr"), now: t(Double(n)))) }
        #expect(order == ["r1=a", "r2=b", "r3=c", "r4=a"])
        _ = engine.agentStatusChanged("b", to: .away, now: t(5))
        order = []
        for n in 5...7 { order += handedOut(engine.taskArrived(task("r\(n)", "rr"), now: t(Double(n)))) }
        #expect(order == ["r5=c", "r6=a", "r7=c"])
    }

    // MARK: Waiting line

    @Test func waitingTasksAreAssignedByPriorityThenAge() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 1)], autoAccept: [.chat]))
        _ = engine.taskArrived(task("old-low", "general", at: t(1), priority: 0), now: t(1))
        _ = engine.taskArrived(task("new-high", "general", at: t(2), priority: 5), now: t(2))
        _ = engine.taskArrived(task("older-high", "general", at: t(1.5), priority: 5), now: t(3))
        #expect(engine.waitingTasks(inQueue: "general") == ["older-high", "new-high", "old-low"])
        var order = handedOut(engine.agentStatusChanged("a", to: .available, now: t(10)))
        for id in ["older-high", "new-high"] { order += handedOut(engine.taskCompleted(id, now: t(20))) }
        #expect(order == ["older-high=a", "new-high=a", "old-low=a"])
    }

    @Test func nobodyIsEverOverCapacityAndVoiceIsExclusive() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 2, voice: 1)], autoAccept: [.chat, .voice]))
        engine.online("a")
        #expect(handedOut(engine.taskArrived(task("c1", "general"), now: t(1))) == ["c1=a"])
        #expect(handedOut(engine.taskArrived(task("v1", "general", channel: .voice), now: t(2))).isEmpty)
        #expect(handedOut(engine.taskArrived(task("c2", "general"), now: t(3))) == ["c2=a"])
        #expect(handedOut(engine.taskArrived(task("c3", "general"), now: t(4))).isEmpty)
        #expect(engine.load(ofAgent: "a") == [.chat: 2])
        // The call waits for a fully free agent; the chat arrived later waits behind it.
        #expect(handedOut(engine.taskCompleted("c1", now: t(5))) == ["c3=a"])
        _ = engine.taskCompleted("c2", now: t(6))
        #expect(handedOut(engine.taskCompleted("c3", now: t(7))) == ["v1=a"])
        // During the call nothing else is offered.
        #expect(handedOut(engine.taskArrived(task("c4", "general"), now: t(8))).isEmpty)
        #expect(handedOut(engine.taskCompleted("v1", now: t(9))) == ["c4=a"])
        #expect(engine.invariantViolations().isEmpty)
    }

    @Test func skillsAndLevelsDecideWhoIsACandidate() {
        var engine = AssignmentEngine(configuration: engineConfiguration(
            agents: [chatAgent("junior", skills: ["billing": 1]), chatAgent("senior", skills: ["billing": 4])], autoAccept: [.chat]))
        engine.online("junior")
        let actions = engine.taskArrived(task("b1", "billing"), now: t(1))
        guard case .wait(_, let queue, let selection)? = actions.first else { Issue.record("expected a wait, got \(actions)"); return }
        #expect(queue == "billing")
        #expect(selection?.reason == "no agent has the required skills and takes work on this channel" || selection?.candidates == 1)
        #expect(handedOut(engine.agentStatusChanged("senior", to: .available, now: t(2))) == ["b1=senior"])
    }

    // MARK: Offers

    @Test func offersAreAcceptedDeclinedOrTimeOut() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a"), chatAgent("b"), chatAgent("c")]))
        engine.online("a", at: t(0))
        engine.online("b", at: t(1))
        engine.online("c", at: t(2))
        #expect(handedOut(engine.taskArrived(task("o1", "idle"), now: t(10))) == ["o1→a"])
        #expect(engine.status(ofTask: "o1") == .offered(agent: "a", expires: t(40)))
        // Declined: the next agent gets it, not the one who declined.
        #expect(handedOut(engine.offerDeclined(task: "o1", agent: "a", now: t(12))) == ["o1→b"])
        // Timed out: revoked and offered to the next.
        let expired = engine.tick(now: t(43))
        #expect(expired.contains(.revoke(task: "o1", agent: "b", reason: "the offer timed out")))
        #expect(handedOut(expired) == ["o1→c"])
        // Accepting an offer that expired is refused.
        if case .reject? = engine.offerAccepted(task: "o1", agent: "b", now: t(44)).first {} else { Issue.record("late accept must be rejected") }
        #expect(handedOut(engine.offerAccepted(task: "o1", agent: "c", now: t(45))) == ["o1=c"])
        #expect(engine.status(ofTask: "o1") == .assigned(agent: "c"))
        #expect(engine.invariantViolations().isEmpty)
    }

    @Test func whenEveryoneDeclinedTheyAreAskedAgainRatherThanLeavingItWaiting() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a"), chatAgent("b")]))
        engine.online("a", "b")
        #expect(handedOut(engine.taskArrived(task("d1", "idle"), now: t(1))) == ["d1→a"])
        #expect(handedOut(engine.offerDeclined(task: "d1", agent: "a", now: t(2))) == ["d1→b"])
        // b declines too: a declined before, but is the only one left, so a is asked again.
        #expect(handedOut(engine.offerDeclined(task: "d1", agent: "b", now: t(3))) == ["d1→a"])
        #expect(engine.invariantViolations().isEmpty)
    }

    @Test func aDeclinedTaskIsNotOfferedStraightBackToTheSameAgent() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 2)]))
        engine.online("a")
        _ = engine.taskArrived(task("x", "idle", at: t(1)), now: t(1))
        _ = engine.taskArrived(task("y", "idle", at: t(2)), now: t(2))
        _ = engine.taskArrived(task("z", "idle", at: t(3)), now: t(3))
        // a holds x and y; z waits. a declines x: a's freed slot goes to z, x waits for someone else.
        let actions = engine.offerDeclined(task: "x", agent: "a", now: t(4))
        #expect(handedOut(actions) == ["z→a"])
        #expect(engine.status(ofTask: "x") == .waiting(queue: "idle"))
        #expect(engine.invariantViolations().isEmpty)
    }

    @Test func awayWithdrawsOffersButKeepsWorkAndOfflineRequeuesIt() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a"), chatAgent("b")]))
        engine.online("a")
        _ = engine.taskArrived(task("w1", "idle"), now: t(1))
        _ = engine.offerAccepted(task: "w1", agent: "a", now: t(2))
        _ = engine.taskArrived(task("w2", "idle"), now: t(3))
        #expect(engine.status(ofTask: "w2") == .offered(agent: "a", expires: t(33)))
        let away = engine.agentStatusChanged("a", to: .away, now: t(4))
        #expect(away.contains(.revoke(task: "w2", agent: "a", reason: "the agent is away")))
        #expect(engine.status(ofTask: "w1") == .assigned(agent: "a"))
        #expect(engine.status(ofTask: "w2") == .waiting(queue: "idle"))
        engine.online("b", at: t(5))
        #expect(engine.status(ofTask: "w2") == .offered(agent: "b", expires: t(35)))
        _ = engine.offerAccepted(task: "w2", agent: "b", now: t(6))
        let offline = engine.agentStatusChanged("a", to: .offline, now: t(7))
        #expect(offline.contains(.requeue(task: "w1", agent: "a")))
        #expect(handedOut(offline) == ["w1→b"])
        #expect(engine.invariantViolations().isEmpty)
    }

    @Test func busyAgentsKeepTheirWorkButGetNothingNew() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a")], autoAccept: [.chat]))
        engine.online("a")
        _ = engine.taskArrived(task("k1", "idle"), now: t(1))
        _ = engine.agentStatusChanged("a", to: .busy, now: t(2))
        #expect(handedOut(engine.taskArrived(task("k2", "idle"), now: t(3))).isEmpty)
        #expect(engine.status(ofTask: "k1") == .assigned(agent: "a"))
        #expect(handedOut(engine.agentStatusChanged("a", to: .available, now: t(4))) == ["k2=a"])
    }

    // MARK: Last agent

    @Test func theReturningCustomersLastAgentIsPreferred() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a"), chatAgent("b")], autoAccept: [.chat]))
        engine.online("a", "b")
        // a has been idle longest, but b served this customer before.
        let actions = engine.taskArrived(task("p1", "idle", preferred: "b"), now: t(1))
        #expect(handedOut(actions) == ["p1=b"])
        if case .assign(_, _, let selection)? = actions.first {
            #expect(selection?.reason.hasPrefix("the customer's previous agent") == true)
        }
    }

    @Test func theLastAgentIsWaitedForUntilTheTimeoutThenAnyoneTakesIt() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 1), chatAgent("b", chat: 1)],
                                                                         autoAccept: [.chat], lastAgent: .seconds(60)))
        engine.online("a", "b")
        _ = engine.taskArrived(task("busy-b", "idle", preferred: "b"), now: t(0))
        let reserved = engine.taskArrived(task("p2", "idle", at: t(1), preferred: "b"), now: t(1))
        #expect(reserved == [.reserve(task: "p2", agent: "b", until: t(61))])
        #expect(engine.tick(now: t(30)).isEmpty)
        // After the timeout anyone with the skills may take it.
        #expect(handedOut(engine.tick(now: t(61))) == ["p2=a"])
        #expect(engine.invariantViolations().isEmpty)
    }

    @Test func theLastAgentGetsTheTaskWhenFreedBeforeTheTimeout() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 1), chatAgent("b", chat: 1)],
                                                                         autoAccept: [.chat], lastAgent: .seconds(60)))
        engine.online("a", "b")
        _ = engine.taskArrived(task("busy-b", "idle", preferred: "b"), now: t(0))
        _ = engine.taskArrived(task("p3", "idle", at: t(1), preferred: "b"), now: t(1))
        #expect(handedOut(engine.taskCompleted("busy-b", now: t(20))) == ["p3=b"])
    }

    @Test func anOfflineLastAgentIsNotWaitedFor() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a"), chatAgent("b")], autoAccept: [.chat]))
        engine.online("a")
        #expect(handedOut(engine.taskArrived(task("p4", "idle", preferred: "b"), now: t(1))) == ["p4=a"])
    }

    // MARK: Escalation

    @Test func bullseyeRelaxesASkillAfterAWait() {
        let steps = [EscalationStep(.after(.seconds(120)), .relaxSkill("billing", toLevel: 1))]
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("junior", skills: ["billing": 1])], autoAccept: [.chat]))
        engine.online("junior")
        #expect(handedOut(engine.taskArrived(task("e1", "billing", escalation: steps), now: t(0))).isEmpty)
        #expect(engine.nextWakeup() == t(120))
        #expect(engine.tick(now: t(119)).isEmpty)
        let fired = engine.tick(now: t(120))
        #expect(fired.first == .escalate(task: "e1", step: steps[0]))
        #expect(handedOut(fired) == ["e1=junior"])
        #expect(engine.requiredSkills(ofTask: "e1") == [SkillRequirement(skill: "billing", minimumLevel: 1)])
    }

    @Test func moveToAnotherQueueAfterAWait() {
        let steps = [EscalationStep(.after(.seconds(300)), .notify("leads")), EscalationStep(.after(.seconds(300)), .moveToQueue("general"))]
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("generalist")], autoAccept: [.chat]))
        engine.online("generalist")
        _ = engine.taskArrived(task("e2", "billing", escalation: steps), now: t(0))
        let fired = engine.tick(now: t(301))
        #expect(fired.contains(.notify(task: "e2", target: "leads", step: steps[0])))
        #expect(fired.contains(.escalate(task: "e2", step: steps[1])))
        #expect(handedOut(fired) == ["e2=generalist"])
        #expect(engine.queue(ofTask: "e2") == "general")
    }

    @Test func raisingPriorityMovesATaskUpTheLine() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 1)], autoAccept: [.chat]))
        _ = engine.taskArrived(task("first", "idle", at: t(0), priority: 3), now: t(0))
        _ = engine.taskArrived(task("second", "idle", at: t(1), priority: 1,
                                    escalation: [EscalationStep(.after(.seconds(60)), .raisePriority(by: 5))]), now: t(1))
        #expect(engine.waitingTasks(inQueue: "idle") == ["first", "second"])
        _ = engine.tick(now: t(61))
        #expect(engine.priority(ofTask: "second") == 6)
        #expect(engine.waitingTasks(inQueue: "idle") == ["second", "first"])
        #expect(handedOut(engine.agentStatusChanged("a", to: .available, now: t(62))) == ["second=a"])
    }

    @Test func nobodyAvailableMovesTheTaskAtOnce() {
        let steps = [EscalationStep(.noAgentAvailable, .notify("leads")), EscalationStep(.noAgentAvailable, .moveToQueue("general")),
                     EscalationStep(.noAgentAvailable, .raisePriority(by: 9))]
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("junior", skills: ["billing": 1])], autoAccept: [.chat]))
        // Nobody with billing≥3 exists: notify, then move to general, where junior is logged in but away.
        _ = engine.agentStatusChanged("junior", to: .away, now: t(0))
        let actions = engine.taskArrived(task("e3", "billing", escalation: steps), now: t(1))
        #expect(actions.contains(.notify(task: "e3", target: "leads", step: steps[0])))
        #expect(actions.contains(.escalate(task: "e3", step: steps[1])))
        // Still nobody available in general: the third step fires too.
        #expect(actions.contains(.escalate(task: "e3", step: steps[2])))
        #expect(engine.priority(ofTask: "e3") == 9)
        #expect(handedOut(engine.agentStatusChanged("junior", to: .available, now: t(2))) == ["e3=junior"])
    }

    @Test func theLastAvailableAgentLeavingFiresNobodyAvailableSteps() {
        let steps = [EscalationStep(.noAgentAvailable, .moveToQueue("rr"))]
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 1), chatAgent("b", chat: 1)], autoAccept: [.chat]))
        engine.online("a")
        _ = engine.taskArrived(task("hold", "idle"), now: t(0))
        _ = engine.taskArrived(task("e4", "idle", escalation: steps), now: t(1))
        #expect(engine.status(ofTask: "e4") == .waiting(queue: "idle"))
        _ = engine.agentStatusChanged("b", to: .busy, now: t(2))
        let actions = engine.agentStatusChanged("a", to: .busy, now: t(3))
        #expect(actions.contains(.escalate(task: "e4", step: steps[0])))
        #expect(engine.queue(ofTask: "e4") == "rr")
    }

    @Test func breachesFireTheirSteps() {
        let steps = [EscalationStep(.breach(.firstResponse), .moveToQueue("general")), EscalationStep(.breach(.resolution), .notify("leads"))]
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("generalist")], autoAccept: [.chat]))
        _ = engine.taskArrived(task("e5", "billing", escalation: steps), now: t(0))
        let breached = engine.slaBreached("e5", kind: .firstResponse, now: t(10))
        #expect(breached.first == .escalate(task: "e5", step: steps[0]))
        #expect(engine.queue(ofTask: "e5") == "general")
        #expect(handedOut(engine.agentStatusChanged("generalist", to: .available, now: t(11))) == ["e5=generalist"])
        // Once assigned, a breach still tells someone, but routing steps no longer apply.
        #expect(engine.slaBreached("e5", kind: .resolution, now: t(12)) == [.notify(task: "e5", target: "leads", step: steps[1])])
        #expect(engine.slaBreached("e5", kind: .resolution, now: t(13)).isEmpty)
    }

    // MARK: Direct offers (a transfer to a named agent)

    @Test func aTaskIsHandedToANamedAgentWhoIsFree() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 1), chatAgent("b", chat: 1)]))
        engine.online("a", "b")
        #expect(handedOut(engine.taskArrived(task("d1", "idle"), now: t(0))) == ["d1→a"])
        _ = engine.offerAccepted(task: "d1", agent: "a", now: t(1))
        // a holds it; a supervisor hands it to b: a's slot frees, b is offered it.
        let actions = engine.offerDirectly(task("d1", "idle", at: t(2)), to: "b", now: t(2))
        #expect(handedOut(actions) == ["d1→b"])
        guard case .offer(_, _, _, let selection)? = actions.last else { Issue.record("no offer: \(actions)"); return }
        #expect(selection?.reason == "b was named by a transfer, and is available with room and the skills")
        #expect(engine.tasks(ofAgent: "a").isEmpty)
        #expect(engine.tasks(ofAgent: "b") == ["d1"])
        #expect(engine.invariantViolations().isEmpty)
        // b declines: it goes on to whoever can take it, as any offer.
        #expect(handedOut(engine.offerDeclined(task: "d1", agent: "b", now: t(3))) == ["d1→a"])
    }

    @Test(arguments: [
        ("away", "b is away: only available agents are offered work"),
        ("offline", "b is offline: only available agents are offered work"),
        ("busy", "b is busy: only available agents are offered work"),
        ("full", "b is at capacity on chat (1 of 1)"),
        ("skills", "b lacks what the task requires: billing≥3"),
        ("channel", "b takes no email work"),
        ("call", "b is on an exclusive task (a call)"),
        ("holds", "b already holds d2"),
        ("unknown", "agent nobody is not configured"),
    ])
    func aNamedAgentWhoCannotTakeItIsRefusedWithTheReason(situation: String, reason: String) {
        var configuration = engineConfiguration(agents: [chatAgent("a", chat: 2), chatAgent("b", chat: 1, voice: 1)])
        configuration.exclusiveChannels = [.voice]
        var engine = AssignmentEngine(configuration: configuration)
        engine.online("a")
        _ = engine.taskArrived(task("d2", "idle"), now: t(0))   // offered to a
        var request = task("d2", "idle", at: t(5))
        var target = "b"
        switch situation {
        case "away", "offline", "busy": _ = engine.agentStatusChanged("b", to: AgentStatus(rawValue: situation)!, now: t(1))
        case "full":
            engine.online("b")
            _ = engine.offerDirectly(task("other", "idle"), to: "b", now: t(1))
        case "skills":
            engine.online("b")
            request = task("d2", "billing", at: t(5))
        case "channel":
            engine.online("b")
            request = task("d2", "idle", at: t(5), channel: .email)
        case "call":
            engine.online("b")
            _ = engine.offerDirectly(task("call", "idle", channel: .voice), to: "b", now: t(1))
        case "holds":
            engine.online("b")
            _ = engine.agentStatusChanged("a", to: .offline, now: t(1))   // d2 goes to b
        default:
            target = "nobody"
        }
        let before = (engine.status(ofTask: "d2"), engine.tasks(ofAgent: "a"), engine.tasks(ofAgent: "b"), engine.taskCount)
        let actions = engine.offerDirectly(request, to: target, now: t(5))
        #expect(actions == [.reject(task: "d2", agent: target, reason: reason)])
        #expect(engine.status(ofTask: "d2") == before.0, "nothing changed")
        #expect(engine.tasks(ofAgent: "a") == before.1 && engine.tasks(ofAgent: "b") == before.2 && engine.taskCount == before.3)
        #expect(engine.invariantViolations().isEmpty)
    }

    @Test func aDirectOfferOnAnAutoAcceptChannelIsAnAssignmentAndANewTaskCanBeHandedOver() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 1)], autoAccept: [.chat]))
        engine.online("a")
        #expect(handedOut(engine.offerDirectly(task("new", "idle"), to: "a", now: t(0))) == ["new=a"])
        #expect(engine.status(ofTask: "new") == .assigned(agent: "a"))
    }

    @Test func stepsThatFiredBeforeARestartOrReloadDoNotFireAgain() {
        let steps = [EscalationStep(.noAgentAvailable, .notify("leads")), EscalationStep(.after(.seconds(60)), .raisePriority(by: 5)),
                     EscalationStep(.breach(.firstResponse), .notify("floor")), EscalationStep(.after(.seconds(120)), .notify("late"))]
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a")]))
        // The task comes back with priority 5 already raised, its no-agent and breach steps done.
        var request = task("r1", "idle", at: t(0), priority: 5, escalation: steps)
        request.firedSteps = [0, 1, 2]
        let arrived = engine.taskArrived(request, now: t(200))
        #expect(!arrived.contains { if case .notify = $0 { return true }; return false }, "no agent: already told")
        #expect(engine.firedSteps(ofTask: "r1") == [0, 1, 2])
        let ticked = engine.tick(now: t(201))
        #expect(ticked == [.notify(task: "r1", target: "late", step: steps[3])], "only the step that had not fired")
        #expect(engine.priority(ofTask: "r1") == 5)
        #expect(engine.slaBreached("r1", kind: .firstResponse, now: t(202)).isEmpty)
        #expect(engine.firedSteps(ofTask: "r1") == [0, 1, 2, 3])
        #expect(engine.nextWakeup() == nil)
    }

    @Test func skillListsReadBackAsStoredInTaskEvents() {
        let skills = [SkillRequirement(skill: "billing", minimumLevel: 3), SkillRequirement(skill: "general")]
        #expect(SkillRequirement.listDescription(skills) == "billing≥3, general")
        #expect(SkillRequirement.parseList("billing≥3, general") == skills)
        #expect(SkillRequirement.listDescription([]) == "none")
        #expect(SkillRequirement.parseList("none") == [])
        #expect(SkillRequirement.parseList("billing≥x") == nil)
        #expect(SkillRequirement.parseList("") == nil)
    }

    // MARK: Bookkeeping

    @Test func duplicatesAndUnknownsAreRejected() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a")]))
        _ = engine.taskArrived(task("d", "idle"), now: t(0))
        if case .reject? = engine.taskArrived(task("d", "idle"), now: t(1)).first {} else { Issue.record("duplicate task accepted") }
        if case .reject? = engine.agentStatusChanged("ghost", to: .available, now: t(1)).first {} else { Issue.record("unknown agent accepted") }
        if case .reject? = engine.taskCompleted("nope", now: t(1)).first {} else { Issue.record("unknown task accepted") }
        #expect(engine.taskCount == 1)
    }

    @Test func withdrawnTasksLeaveTheLine() {
        var engine = AssignmentEngine(configuration: engineConfiguration(agents: [chatAgent("a", chat: 1)], autoAccept: [.chat]))
        _ = engine.taskArrived(task("gone", "idle", at: t(0)), now: t(0))
        _ = engine.taskArrived(task("stays", "idle", at: t(1)), now: t(1))
        _ = engine.taskWithdrawn("gone", now: t(2))
        #expect(engine.waitingTasks(inQueue: "idle") == ["stays"])
        #expect(handedOut(engine.agentStatusChanged("a", to: .available, now: t(3))) == ["stays=a"])
        #expect(engine.taskCount == 1)
    }

    @Test func selectionExplainsWhoWasPassedOver() {
        var engine = AssignmentEngine(configuration: engineConfiguration(
            agents: [chatAgent("a", chat: 1), chatAgent("b"), chatAgent("c"), chatAgent("d", skills: ["billing": 5])], autoAccept: [.chat]))
        engine.online("a", at: t(0))
        engine.online("b", at: t(1))
        engine.online("c", at: t(2))
        _ = engine.taskArrived(task("fill-a", "idle", preferred: "a"), now: t(3))
        _ = engine.agentStatusChanged("c", to: .away, now: t(4))
        let actions = engine.taskArrived(task("s1", "idle"), now: t(5))
        guard case .assign(_, "b", let selection?)? = actions.first else { Issue.record("expected b, got \(actions)"); return }
        #expect(selection.passedOverCounts == [.atCapacity: 1, .notAvailable: 2])
        #expect(selection.passedOver.map(\.agent) == ["a", "c", "d"])
        #expect(selection.reason == "idle since 2025-03-11T09:00:01Z: the longest idle of 1 agent who could take it")
    }
}
