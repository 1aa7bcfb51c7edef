import Foundation

/// A synthetic contact centre for measuring routing + assignment speed: `agents` agents with
/// random skills and per-channel capacity, `queues` queues each needing one or two of 20 skills, a
/// matrix of 60 rules, and a stream of messages. `run(decisions:)` routes each message through the
/// matrix and hands the task to the assignment engine, completing the oldest tasks to keep the
/// centre about 80% busy. No clock is read here: the callers time it (`switchboard-simulate
/// --bench`, `RoutingBenchmarkTests`).
public struct RoutingBenchmark {
    public let configuration: RoutingConfiguration
    public var matrix: ChannelMatrix
    public var engine: AssignmentEngine
    var inputs: [RoutingInput] = []
    var active: [String] = []
    var activeStart = 0
    var sequence = 0
    let activeLimit: Int
    public private(set) var offers = 0
    public private(set) var waits = 0

    public init(agents agentCount: Int = 1_000, queues queueCount: Int = 50, seed: UInt64 = 42, recordExplanations: Bool = false) {
        var random = BenchmarkRandom(seed: seed)
        let skills = (0..<20).map { "skill\($0)" }
        let channels: [Channel] = [.email, .sms, .chat, .social, .voice]
        let strategies = AssignmentStrategy.allCases
        var queues: [QueueDefinition] = []
        for n in 0..<queueCount {
            var required = [SkillRequirement(skill: skills[n % skills.count], minimumLevel: 1 + n % 3)]
            if n % 4 == 0 { required.append(SkillRequirement(skill: skills[(n * 7 + 3) % skills.count])) }
            queues.append(QueueDefinition(id: "queue\(n)", requiredSkills: required, strategy: strategies[n % strategies.count],
                                          sla: SLATargets(firstResponse: .seconds(300), resolution: .seconds(86_400))))
        }
        var agents: [AgentDefinition] = []
        var totalCapacity = 0
        for n in 0..<agentCount {
            var agentSkills: [String: Int] = [:]
            for _ in 0..<random.next(3...6) { agentSkills[skills[random.next(0...(skills.count - 1))]] = random.next(1...5) }
            let capacity: [Channel: Int] = [.chat: 3, .email: 5, .sms: 5, .social: 5, .voice: 1]
            totalCapacity += 19
            agents.append(AgentDefinition(id: "agent\(n)", skills: agentSkills, capacity: capacity))
        }
        var rules: [MatrixRule] = []
        let types = InquiryType.defaultTaxonomy
        for n in 0..<60 {
            var conditions = RuleConditions(types: [types[n % types.count]], channels: [channels[n % channels.count]])
            if n % 3 == 0 { conditions.attributes = ["tier": ["gold", "platinum"]] }
            if n % 5 == 0 { conditions.frustration = 0.6...1 }
            rules.append(MatrixRule(id: "rule\(n)", conditions: conditions,
                                    actions: RuleActions(queue: "queue\(n % queueCount)", priority: n % 7,
                                                         escalation: [EscalationStep(.after(.seconds(120)), .relaxSkill(skills[n % skills.count], toLevel: 1))])))
        }
        configuration = RoutingConfiguration(
            skills: skills, queues: queues, agents: agents, channelCosts: [.email: 1.2, .sms: 0.5, .chat: 2.0, .social: 1.0, .voice: 4.0],
            rules: rules, defaultActions: RuleActions(queue: "queue0"),
            offers: OfferSettings(autoAcceptChannels: Set(channels)))
        matrix = ChannelMatrix(configuration: configuration)
        engine = AssignmentEngine(configuration: configuration, recordsExplanations: recordExplanations)
        let start = Date(timeIntervalSince1970: 1_741_680_000)
        for agent in agents { _ = engine.agentStatusChanged(agent.id, to: .available, now: start) }
        activeLimit = totalCapacity * 8 / 10 / 3
        for n in 0..<4_096 {
            let tiers = ["gold", "silver", "bronze", "platinum"]
            inputs.append(RoutingInput(
                messageID: "m\(n)", type: types[random.next(0...(types.count - 1))], confidence: 0.9,
                frustration: Double(random.next(0...10)) / 10, channel: channels[random.next(0...(channels.count - 1))],
                contact: ContactProfile(attributes: ["tier": tiers[random.next(0...3)]]), time: start))
        }
    }

    /// Routes `decisions` messages and assigns their tasks; returns how many tasks were created.
    @discardableResult
    public mutating func run(decisions: Int) -> Int {
        var created = 0
        for _ in 0..<decisions {
            sequence += 1
            var input = inputs[sequence & 4095]
            let now = Date(timeIntervalSince1970: 1_741_680_000 + Double(sequence) * 0.01)
            input.time = now
            let decision = matrix.route(input)
            let id = "t\(sequence)"
            for action in engine.taskArrived(TaskRequest(id: id, decision: decision, arrival: now), now: now) {
                switch action {
                case .assign, .offer: offers += 1
                case .wait: waits += 1
                default: break
                }
            }
            created += 1
            active.append(id)
            if active.count - activeStart > activeLimit {
                _ = engine.taskCompleted(active[activeStart], now: now)
                activeStart += 1
                if activeStart > 65_536 {
                    active.removeFirst(activeStart)
                    activeStart = 0
                }
            }
            if sequence % 1024 == 0 { _ = engine.tick(now: now) }
        }
        return created
    }
}

/// SplitMix64, so the benchmark's centre is the same every run.
struct BenchmarkRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}
