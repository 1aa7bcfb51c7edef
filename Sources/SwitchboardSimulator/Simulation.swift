import Foundation
import SwitchboardCore

/// SplitMix64: a seeded generator so a scenario replays exactly.
struct SimulationRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x1234_5678 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func exponential(mean: Double) -> Double { -mean * log(1 - unit()) }
    /// Log-normal with the given mean and a spread typical of handling times.
    mutating func handling(mean: Double) -> Double {
        let sigma = 0.6
        let u1 = max(unit(), 1e-12), u2 = unit()
        let normal = sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2)
        return exp(log(mean) - sigma * sigma / 2 + sigma * normal)
    }
    mutating func chance(_ probability: Double) -> Bool { unit() < probability }
}

/// What happens next, in time order.
struct SimulationEvent: Comparable {
    enum Kind {
        case arrival(Int)
        case offerResponse(task: String, agent: String, accept: Bool)
        case completion(task: String, token: Int)
        case abandon(task: String)
        case breach(task: String)
        case shiftStart(agent: String)
        case shiftEnd(agent: String)
        case tick
    }
    var time: Double
    var sequence: Int
    var kind: Kind

    static func < (lhs: SimulationEvent, rhs: SimulationEvent) -> Bool {
        lhs.time != rhs.time ? lhs.time < rhs.time : lhs.sequence < rhs.sequence
    }
    static func == (lhs: SimulationEvent, rhs: SimulationEvent) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
}

struct EventQueue {
    private var heap: [SimulationEvent] = []
    private var sequence = 0
    var isEmpty: Bool { heap.isEmpty }

    mutating func schedule(_ time: Double, _ kind: SimulationEvent.Kind) {
        sequence += 1
        heap.append(SimulationEvent(time: time, sequence: sequence, kind: kind))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> SimulationEvent? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count, heap[left + 1] < heap[left] { smallest = left + 1 }
            guard heap[smallest] < heap[parent] else { break }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
        return top
    }
}

/// Figures for one row of the report (a queue or a channel).
struct Tally {
    var contacts = 0
    var deflected = 0
    var answered = 0
    var answeredInTarget = 0
    var abandoned = 0
    var open = 0
    var waitSeconds = 0.0
    var cost = 0.0
    var busySeconds = 0.0
    var availableSeconds = 0.0
}

/// One simulated contact.
struct SimulatedTask {
    var id: String
    var arrival: Double
    var channel: Channel
    var decision: RoutingDecision
    var calendar: BusinessCalendar
    var answeredAt: Double?
    var agent: String?
    var token = 0
    var finished = false
    var abandoned = false
    var finalQueue: String?
}

/// A discrete-event simulation of one day: arrivals routed by the matrix, tasks assigned by the
/// engine, agents answering offers, handling, going on and off shift, customers abandoning.
struct Simulation {
    let scenario: Scenario
    var random: SimulationRandom
    var matrix: ChannelMatrix
    var engine: AssignmentEngine
    var queue = EventQueue()
    var tasks: [String: SimulatedTask] = [:]
    var arrivals: [(time: Double, input: RoutingInput, returning: Bool)] = []
    var dayStart = 0.0
    var horizon = 0.0
    var scheduledTick = Double.infinity
    var agentsByID: [String: AgentDefinition] = [:]
    // Agent bookkeeping.
    var shiftOver: Set<String> = []
    var loginAt: [String: Double] = [:]
    var loggedInSeconds: [String: Double] = [:]
    var handling: [String: [Channel: Int]] = [:]
    var lastChange: [String: Double] = [:]
    var busySeconds: [String: Double] = [:]
    var slotSeconds: [Channel: Double] = [:]
    var capacitySeconds: [Channel: Double] = [:]
    // Counters.
    var escalations: [String: Int] = [:]
    var notifications = 0
    var breaches = 0
    var offers = 0
    var declines = 0
    var expiredOffers = 0
    var decisions = 0

    init(scenario: Scenario) {
        self.scenario = scenario
        random = SimulationRandom(seed: scenario.seed)
        matrix = ChannelMatrix(configuration: scenario.routing)
        engine = AssignmentEngine(configuration: scenario.routing, recordsExplanations: false)
        for agent in scenario.routing.agents { agentsByID[agent.id] = agent }
    }

    func date(_ time: Double) -> Date { Date(timeIntervalSince1970: time) }

    // MARK: Setup

    mutating func prepare() {
        let dayCalendar = BusinessCalendar(id: "day", timeZone: scenario.timeZone, hours: [:])
        dayStart = dayCalendar.instant(on: scenario.date, minute: 0).timeIntervalSince1970
        let dayEnd = dayCalendar.instant(on: scenario.date, minute: 1440).timeIntervalSince1970
        horizon = dayEnd + scenario.overtime
        // Arrivals: a Poisson process per stream, its rate constant within each local hour.
        var customer = 0
        for stream in scenario.arrivals {
            for hour in 0..<24 where stream.perHour[hour] > 0 {
                let start = dayCalendar.instant(on: scenario.date, minute: hour * 60).timeIntervalSince1970
                let end = dayCalendar.instant(on: scenario.date, minute: hour * 60 + 60).timeIntervalSince1970
                var time = start + random.exponential(mean: 3600 / stream.perHour[hour])
                while time < end {
                    customer += 1
                    var attributes: [String: String] = [:]
                    for (key, values) in stream.attributes {
                        let total = values.reduce(0) { $0 + $1.1 }
                        var pick = random.unit() * total
                        for (value, weight) in values {
                            pick -= weight
                            if pick <= 0 { attributes[key] = value; break }
                        }
                    }
                    let frustrated = random.chance(stream.frustratedShare)
                    let input = RoutingInput(
                        messageID: "sim\(customer)", type: stream.type, confidence: 0.55 + random.unit() * 0.45,
                        frustration: frustrated ? 0.6 + random.unit() * 0.4 : random.unit() * 0.35, channel: stream.channel,
                        isPublicPost: stream.channel == .social && random.chance(stream.publicShare),
                        contact: ContactProfile(attributes: attributes, reachable: [stream.channel, .email]), time: date(time))
                    arrivals.append((time, input, random.chance(stream.returningShare)))
                    time += random.exponential(mean: 3600 / stream.perHour[hour])
                }
            }
        }
        arrivals.sort { $0.time < $1.time }
        for (index, arrival) in arrivals.enumerated() { queue.schedule(arrival.time, .arrival(index)) }
        // Shifts.
        for agent in scenario.routing.agents {
            let calendar = agent.shift.flatMap { scenario.routing.calendars[$0] }
            let intervals = calendar?.openIntervals(on: scenario.date)
                ?? [date(dayStart)..<date(dayEnd)]
            for interval in intervals {
                queue.schedule(interval.lowerBound.timeIntervalSince1970, .shiftStart(agent: agent.id))
                queue.schedule(interval.upperBound.timeIntervalSince1970, .shiftEnd(agent: agent.id))
            }
        }
    }

    // MARK: Running

    mutating func run() {
        prepare()
        while let event = queue.pop() {
            if event.time > horizon { break }
            let now = event.time
            switch event.kind {
            case .arrival(let index): arrive(index, now: now)
            case .offerResponse(let task, let agent, let accept):
                if accept {
                    apply(engine.offerAccepted(task: task, agent: agent, now: date(now)), now: now)
                } else {
                    declines += 1
                    apply(engine.offerDeclined(task: task, agent: agent, now: date(now)), now: now)
                }
            case .completion(let id, let token):
                guard let task = tasks[id], task.token == token, !task.finished, let agent = task.agent else { continue }
                tasks[id]?.finished = true
                changeHandling(agent, task.channel, by: -1, now: now)
                apply(engine.taskCompleted(id, now: date(now)), now: now)
                logOutIfDone(agent, now: now)
            case .abandon(let id):
                guard let task = tasks[id], task.answeredAt == nil, !task.finished else { continue }
                tasks[id]?.abandoned = true
                tasks[id]?.finished = true
                tasks[id]?.finalQueue = engine.queue(ofTask: id)
                apply(engine.taskWithdrawn(id, now: date(now)), now: now)
            case .breach(let id):
                guard let task = tasks[id], task.answeredAt == nil, !task.finished else { continue }
                breaches += 1
                apply(engine.slaBreached(id, kind: .firstResponse, now: date(now)), now: now)
            case .shiftStart(let agent):
                shiftOver.remove(agent)
                if loginAt[agent] == nil { loginAt[agent] = now }
                apply(engine.agentStatusChanged(agent, to: .available, now: date(now)), now: now)
            case .shiftEnd(let agent):
                shiftOver.insert(agent)
                apply(engine.agentStatusChanged(agent, to: .busy, now: date(now)), now: now)
                logOutIfDone(agent, now: now)
            case .tick:
                scheduledTick = .infinity
                apply(engine.tick(now: date(now)), now: now)
            }
            scheduleTick()
        }
        let end = horizon
        for agent in Array(loginAt.keys) { logOut(agent, now: end) }
        for (id, task) in tasks where !task.finished && task.answeredAt == nil {
            tasks[id]?.finalQueue = engine.queue(ofTask: id)
        }
    }

    mutating func scheduleTick() {
        guard let wake = engine.nextWakeup()?.timeIntervalSince1970, wake < scheduledTick else { return }
        scheduledTick = wake
        queue.schedule(wake, .tick)
    }

    mutating func arrive(_ index: Int, now: Double) {
        let arrival = arrivals[index]
        let decision = matrix.route(arrival.input)
        decisions += 1
        let id = arrival.input.messageID!
        let calendar = scenario.routing.calendar(forQueue: decision.queue)
        var task = SimulatedTask(id: id, arrival: now, channel: decision.response.channel, decision: decision, calendar: calendar)
        guard decision.createsTask else {
            task.finished = true
            tasks[id] = task
            return
        }
        tasks[id] = task
        // A returning customer's previous agent: anyone on shift who can take the queue's work.
        var preferred: String?
        if arrival.returning {
            let candidates = scenario.routing.agents.filter { $0.satisfies(decision.requiredSkills) && ($0.capacity[decision.response.channel] ?? 0) > 0 }
            preferred = candidates.isEmpty ? nil : candidates[Int(random.next() % UInt64(candidates.count))].id
        }
        let request = TaskRequest(id: id, decision: decision, arrival: date(now), preferredAgent: preferred)
        apply(engine.taskArrived(request, now: date(now)), now: now)
        let patience = scenario.patience[task.channel] ?? 86_400
        queue.schedule(now + random.exponential(mean: patience), .abandon(task: id))
        if let target = decision.sla.firstResponse, let deadline = calendar.date(addingBusinessSeconds: target.timeInterval, to: date(now)) {
            queue.schedule(deadline.timeIntervalSince1970 + 0.001, .breach(task: id))
        }
    }

    mutating func apply(_ actions: [AssignmentAction], now: Double) {
        for action in actions {
            switch action {
            case .offer(let task, let agent, _, _):
                offers += 1
                let delay = random.exponential(mean: scenario.offerResponse)
                queue.schedule(now + delay, .offerResponse(task: task, agent: agent, accept: !random.chance(scenario.declineRate)))
            case .assign(let id, let agent, _):
                guard var task = tasks[id], !task.finished else { continue }
                if task.answeredAt == nil {
                    task.answeredAt = now
                    task.finalQueue = engine.queue(ofTask: id)
                }
                task.agent = agent
                task.token += 1
                tasks[id] = task
                changeHandling(agent, task.channel, by: 1, now: now)
                let mean = scenario.handlingTime[task.channel] ?? 300
                queue.schedule(now + random.handling(mean: mean), .completion(task: id, token: task.token))
            case .requeue(let id, let agent):
                guard let task = tasks[id] else { continue }
                tasks[id]?.token += 1
                changeHandling(agent, task.channel, by: -1, now: now)
            case .revoke(_, _, let reason):
                if reason == "the offer timed out" { expiredOffers += 1 }
            case .escalate(_, let step):
                let kind: String
                switch step.action {
                case .moveToQueue: kind = "moved"
                case .relaxSkill: kind = "skill relaxed"
                case .raisePriority: kind = "priority raised"
                case .notify: kind = "notified"
                }
                escalations[kind, default: 0] += 1
            case .notify:
                notifications += 1
            case .wait, .reserve, .reject:
                break
            }
        }
    }

    // MARK: Agents

    mutating func changeHandling(_ agent: String, _ channel: Channel, by delta: Int, now: Double) {
        accrue(agent, now: now)
        handling[agent, default: [:]][channel, default: 0] += delta
    }

    /// Adds the time since the agent's last change to their busy and slot totals.
    mutating func accrue(_ agent: String, now: Double) {
        let since = lastChange[agent] ?? now
        let elapsed = now - since
        if elapsed > 0, let counts = handling[agent] {
            let total = counts.values.reduce(0, +)
            if total > 0 { busySeconds[agent, default: 0] += elapsed }
            for (channel, count) in counts where count > 0 { slotSeconds[channel, default: 0] += elapsed * Double(count) }
        }
        lastChange[agent] = now
    }

    mutating func logOutIfDone(_ agent: String, now: Double) {
        guard shiftOver.contains(agent), engine.tasks(ofAgent: agent).isEmpty else { return }
        apply(engine.agentStatusChanged(agent, to: .offline, now: date(now)), now: now)
        logOut(agent, now: now)
    }

    mutating func logOut(_ agent: String, now: Double) {
        accrue(agent, now: now)
        guard let since = loginAt.removeValue(forKey: agent) else { return }
        let seconds = max(0, now - since)
        loggedInSeconds[agent, default: 0] += seconds
        for (channel, capacity) in agentsByID[agent]?.capacity ?? [:] {
            capacitySeconds[channel, default: 0] += seconds * Double(capacity)
        }
    }
}
