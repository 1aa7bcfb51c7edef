import Foundation

extension AssignmentEngine {
    // MARK: Lookups

    static func mask(_ channels: Set<Channel>) -> UInt8 { channels.reduce(0) { $0 | $1.bit } }

    mutating func skillID(_ name: String) -> Int32 {
        if let id = skillIndex[name] { return id }
        let id = Int32(skillIndex.count)
        skillIndex[name] = id
        return id
    }

    /// The queue's index, defining it on the fly (no skills, longest idle) when unknown so a task
    /// is never refused; `check-config` catches unknown queues in the matrix.
    mutating func queueID(_ name: String) -> Int {
        if let index = queueIndex[name] { return index }
        queueDefinitions.append(QueueDefinition(id: name))
        queueIndex[name] = queueDefinitions.count - 1
        roundRobinCursor.append(-1)
        return queueDefinitions.count - 1
    }

    mutating func bucketKey(for task: TaskState) -> BucketKey {
        var levels: [SkillLevel] = []
        levels.reserveCapacity(task.requirements.count)
        for requirement in task.requirements {
            levels.append(SkillLevel(skill: skillID(requirement.skill), level: UInt8(clamping: requirement.minimumLevel)))
        }
        return BucketKey(queue: task.queue, channel: UInt8(task.channel.slot), requirements: levels)
    }

    func qualifies(_ agent: Int32, for key: BucketKey) -> Bool {
        guard agents[Int(agent)].capacity[Int(key.channel)] > 0 else { return false }
        for requirement in key.requirements where agents[Int(agent)].level(requirement.skill) < requirement.level { return false }
        return true
    }

    mutating func bucket(for slot: Int32) -> Int32 {
        let cached = tasks[Int(slot)].bucket
        if cached >= 0 { return cached }
        let key = bucketKey(for: tasks[Int(slot)])
        if let existing = bucketIndex[key] {
            tasks[Int(slot)].bucket = existing
            return existing
        }
        let id = Int32(buckets.count)
        var candidates: [Int32] = []
        var available = 0
        for index in agents.indices where qualifies(Int32(index), for: key) {
            candidates.append(Int32(index))
            agents[index].buckets.append(id)
            if agents[index].status == .available { available += 1 }
        }
        buckets.append(Bucket(key: key, candidates: candidates, availableCount: available))
        bucketIndex[key] = id
        tasks[Int(slot)].bucket = id
        return id
    }

    /// After agents' skills or capacity changed: recompute every bucket's candidates.
    mutating func rebuildBuckets() {
        for index in agents.indices { agents[index].buckets.removeAll() }
        for id in buckets.indices {
            var candidates: [Int32] = []
            var available = 0
            for index in agents.indices where qualifies(Int32(index), for: buckets[id].key) {
                candidates.append(Int32(index))
                agents[index].buckets.append(Int32(id))
                if agents[index].status == .available { available += 1 }
            }
            buckets[id].candidates = candidates
            buckets[id].availableCount = available
        }
    }

    @inline(__always)
    func isExclusive(_ channel: Int) -> Bool { exclusiveMask & (1 << UInt8(channel)) != 0 }

    /// Why the agent cannot take one more task on the channel now, or nil when they can.
    @inline(__always)
    func blocker(_ agent: Int32, channel: Int) -> AgentSelection.PassedOver.Kind? {
        let index = Int(agent)
        if agents[index].status != .available { return .notAvailable }
        if agents[index].exclusiveLoad > 0 { return .onExclusiveTask }
        if agents[index].load[channel] >= agents[index].capacity[channel] { return .atCapacity }
        if isExclusive(channel), agents[index].totalLoad > 0 { return .atCapacity }
        return nil
    }

    @inline(__always)
    func canTake(_ agent: Int32, channel: Int) -> Bool { blocker(agent, channel: channel) == nil }

    /// Why the agent cannot be handed a task with these requirements on this channel now, in
    /// words for the one who asked; nil when they can.
    func directOfferBlocker(_ agent: Int32, requirements: [SkillRequirement], channel: Channel) -> String? {
        let state = agents[Int(agent)]
        if state.status != .available { return "\(state.id) is \(state.status.rawValue): only available agents are offered work" }
        let lacking = requirements.filter { requirement in
            skillIndex[requirement.skill].map { Int(state.level($0)) < requirement.minimumLevel } ?? true
        }
        if !lacking.isEmpty {
            return "\(state.id) lacks what the task requires: " + lacking.map(\.description).joined(separator: ", ")
        }
        let slot = channel.slot
        if state.capacity[slot] == 0 { return "\(state.id) takes no \(channel.rawValue) work" }
        switch blocker(agent, channel: slot) {
        case nil: return nil
        case .onExclusiveTask?: return "\(state.id) is on an exclusive task (a call)"
        case .atCapacity? where state.load[slot] < state.capacity[slot]:
            return "\(state.id) holds \(state.totalLoad) other task\(state.totalLoad == 1 ? "" : "s"); \(channel.rawValue) needs an agent with nothing else"
        case .atCapacity?: return "\(state.id) is at capacity on \(channel.rawValue) (\(state.load[slot]) of \(state.capacity[slot]))"
        case let other?: return "\(state.id) cannot take it: \(other.rawValue)"
        }
    }

    @inline(__always)
    func isValid(_ entry: WaitEntry) -> Bool {
        tasks[Int(entry.slot)].live && tasks[Int(entry.slot)].waitStamp == entry.stamp
    }

    func isLive(_ timer: Timer) -> Bool {
        guard Int(timer.slot) < tasks.count else { return false }
        let task = tasks[Int(timer.slot)]
        guard task.live else { return false }
        switch timer.kind {
        case .offerExpiry:
            if case .offered = task.state { return task.offerStamp == timer.stamp }
            return false
        case .escalation:
            return task.uid == timer.stamp && !task.fired[Int(timer.aux)]
        case .preference:
            if case .reserved = task.state { return task.uid == timer.stamp }
            return false
        }
    }

    mutating func pushTimer(due: Double, kind: Timer.Kind, slot: Int32, stamp: UInt64, aux: Int32 = 0) {
        counter &+= 1
        timers.push(Timer(due: due, sequence: counter, kind: kind, slot: slot, stamp: stamp, aux: aux))
    }

    /// When `tick` next has something to do (the earliest offer expiry, timed escalation or
    /// end of a last-agent reservation), so a daemon or simulator can sleep until then.
    public mutating func nextWakeup() -> Date? {
        while let timer = timers.first {
            if isLive(timer) { return Date(timeIntervalSince1970: timer.due) }
            timers.pop()
        }
        return nil
    }

    // MARK: Placing a task

    /// Finds the task an agent (its last agent first), or puts it in line. `excludingAgent` (the
    /// agent who just gave the task back) is not considered this time.
    mutating func place(_ slot: Int32, now: Double, excludingAgent: Int32 = -1, actions: inout [AssignmentAction]) {
        tasks[Int(slot)].state = .placing
        let preferred = tasks[Int(slot)].preferredAgent
        if preferred >= 0 {
            let key = bucketKey(for: tasks[Int(slot)])
            if now >= tasks[Int(slot)].preferredUntil || agents[Int(preferred)].status == .offline
                || !qualifies(preferred, for: key) || tasks[Int(slot)].declinedBy.contains(preferred) {
                tasks[Int(slot)].preferredAgent = -1
            } else if canTake(preferred, channel: Int(key.channel)) {
                let selection = recordsExplanations ? preferredSelection(slot, agent: preferred, waited: false) : nil
                offer(slot, to: preferred, now: now, selection: selection, actions: &actions)
                return
            } else {
                tasks[Int(slot)].state = .reserved(agent: preferred)
                agents[Int(preferred)].reserved.append(slot)
                pushTimer(due: tasks[Int(slot)].preferredUntil, kind: .preference, slot: slot, stamp: tasks[Int(slot)].uid)
                actions.append(.reserve(task: tasks[Int(slot)].id, agent: agents[Int(preferred)].id,
                                        until: Date(timeIntervalSince1970: tasks[Int(slot)].preferredUntil)))
                return
            }
        }
        let bucketID = bucket(for: slot)
        var selection: AgentSelection?
        if let agent = select(bucketID, for: slot, excludingAgent: excludingAgent, explanation: &selection) {
            offer(slot, to: agent, now: now, selection: selection, actions: &actions)
            return
        }
        enqueue(slot, in: bucketID)
        actions.append(.wait(task: tasks[Int(slot)].id, queue: queueDefinitions[Int(tasks[Int(slot)].queue)].id, selection: selection))
        if buckets[Int(bucketID)].availableCount == 0 { fireNoAgentSteps(slot, now: now, actions: &actions) }
    }

    mutating func enqueue(_ slot: Int32, in bucketID: Int32) {
        counter &+= 1
        tasks[Int(slot)].waitStamp = counter
        tasks[Int(slot)].state = .waiting(bucket: bucketID)
        buckets[Int(bucketID)].heap.push(WaitEntry(priority: tasks[Int(slot)].priority, arrival: tasks[Int(slot)].arrival,
                                                   sequence: tasks[Int(slot)].uid, slot: slot, stamp: counter))
        buckets[Int(bucketID)].waiting += 1
    }

    /// Takes the task out of its waiting line (its heap entry goes stale).
    mutating func leaveWaiting(_ slot: Int32) {
        if case .waiting(let bucketID) = tasks[Int(slot)].state {
            buckets[Int(bucketID)].waiting -= 1
            tasks[Int(slot)].waitStamp = 0
            tasks[Int(slot)].state = .placing
        }
    }

    mutating func removeReservation(_ slot: Int32, agent: Int32) {
        if let position = agents[Int(agent)].reserved.firstIndex(of: slot) { agents[Int(agent)].reserved.remove(at: position) }
        tasks[Int(slot)].state = .placing
    }

    /// The best candidate of the bucket by the queue's strategy; agents who declined the task are
    /// tried only when nobody else can take it.
    mutating func select(_ bucketID: Int32, for slot: Int32, excludingAgent: Int32 = -1, explanation: inout AgentSelection?) -> Int32? {
        let channel = tasks[Int(slot)].channel.slot
        let queue = Int(tasks[Int(slot)].queue)
        let declinedBy = tasks[Int(slot)].declinedBy
        let candidates = buckets[Int(bucketID)].candidates
        let strategy = queueDefinitions[queue].strategy
        let cursor = roundRobinCursor[queue]
        let record = recordsExplanations
        var passed: [AgentSelection.PassedOver] = []
        var counts: [Int] = record ? [0, 0, 0, 0, 0] : []
        var best: Int32 = -1
        var fallback: Int32 = -1
        var firstAfterCursor: Int32 = -1
        var eligible: [Int32] = []

        func better(_ a: Int32, than b: Int32) -> Bool {
            let x = Int(a), y = Int(b)
            switch strategy {
            case .longestIdle:
                return agents[x].idleSince != agents[y].idleSince ? agents[x].idleSince < agents[y].idleSince : a < b
            case .leastBusy:
                // totalLoad / totalCapacity compared without dividing.
                let left = Int64(agents[x].totalLoad) * Int64(max(agents[y].totalCapacity, 1))
                let right = Int64(agents[y].totalLoad) * Int64(max(agents[x].totalCapacity, 1))
                if left != right { return left < right }
                return agents[x].idleSince != agents[y].idleSince ? agents[x].idleSince < agents[y].idleSince : a < b
            case .roundRobin:
                return a < b
            }
        }

        for agent in candidates {
            if let kind = blocker(agent, channel: channel) {
                if record { note(agent, kind, channel: channel, into: &passed, counts: &counts) }
                continue
            }
            if agent == excludingAgent {
                if record { note(agent, .declinedBefore, channel: channel, into: &passed, counts: &counts) }
                continue
            }
            if !declinedBy.isEmpty, declinedBy.contains(agent) {
                if fallback < 0 || better(agent, than: fallback) { fallback = agent }
                if record { note(agent, .declinedBefore, channel: channel, into: &passed, counts: &counts) }
                continue
            }
            if record { eligible.append(agent) }
            if strategy == .roundRobin {
                if agent > cursor, firstAfterCursor < 0 { firstAfterCursor = agent }
                if best < 0 { best = agent }
            } else if best < 0 || better(agent, than: best) {
                best = agent
            }
        }
        if strategy == .roundRobin, firstAfterCursor >= 0 { best = firstAfterCursor }
        let chosen = best >= 0 ? best : fallback
        if record {
            for agent in eligible where agent != chosen {
                note(agent, .rankedLower, channel: channel, into: &passed, counts: &counts)
            }
            let why: AgentSelection.Reason
            if chosen < 0 {
                why = candidates.isEmpty ? .noCandidates : .nobodyFree
            } else if best < 0 {
                why = .onlyDecliners
            } else {
                switch strategy {
                case .longestIdle: why = .longestIdle(since: idleDate(chosen), eligible: eligible.count)
                case .leastBusy: why = .leastBusy(load: Int(agents[Int(chosen)].totalLoad), capacity: Int(agents[Int(chosen)].totalCapacity),
                                                  eligible: eligible.count)
                case .roundRobin: why = .roundRobin(after: cursor >= 0 ? agents[Int(cursor)].id : nil, eligible: eligible.count)
                }
            }
            explanation = AgentSelection(queue: queueDefinitions[queue].id, strategy: strategy,
                                         chosen: chosen >= 0 ? agents[Int(chosen)].id : nil, why: why,
                                         candidates: candidates.count, lackingSkills: agents.count - candidates.count,
                                         passedOver: passed, counts: counts)
        }
        return chosen >= 0 ? chosen : nil
    }

    func idleDate(_ agent: Int32) -> Date? {
        let since = agents[Int(agent)].idleSince
        return since > -1e300 ? Date(timeIntervalSince1970: since) : nil
    }

    func note(_ agent: Int32, _ kind: AgentSelection.PassedOver.Kind, channel: Int,
              into passed: inout [AgentSelection.PassedOver], counts: inout [Int]) {
        switch kind {
        case .notAvailable: counts[0] += 1
        case .atCapacity: counts[1] += 1
        case .onExclusiveTask: counts[2] += 1
        case .declinedBefore: counts[3] += 1
        case .rankedLower: counts[4] += 1
        }
        guard passed.count < AgentSelection.passedOverLimit else { return }
        let index = Int(agent)
        passed.append(AgentSelection.PassedOver(
            agent: agents[index].id, kind: kind, status: agents[index].status, channel: Channel.allCases[channel],
            load: Int(agents[index].load[channel]), capacity: Int(agents[index].capacity[channel]),
            totalLoad: Int(agents[index].totalLoad), totalCapacity: Int(agents[index].totalCapacity),
            idleSince: idleDate(agent), exclusiveChannel: isExclusive(channel)))
    }

    func preferredSelection(_ slot: Int32, agent: Int32, waited: Bool) -> AgentSelection {
        let queue = queueDefinitions[Int(tasks[Int(slot)].queue)]
        return AgentSelection(queue: queue.id, strategy: queue.strategy, chosen: agents[Int(agent)].id,
                              why: .previousAgent(until: Date(timeIntervalSince1970: tasks[Int(slot)].preferredUntil), waited: waited),
                              candidates: 1, lackingSkills: 0)
    }

    func filledSelection(_ slot: Int32, agent: Int32, bucket: Int32, now: Double) -> AgentSelection {
        let queue = queueDefinitions[Int(tasks[Int(slot)].queue)]
        let candidates = buckets[Int(bucket)].candidates.count
        return AgentSelection(queue: queue.id, strategy: queue.strategy, chosen: agents[Int(agent)].id,
                              why: .freedCapacity(channel: tasks[Int(slot)].channel, priority: tasks[Int(slot)].priority,
                                                  waited: now - tasks[Int(slot)].arrival),
                              candidates: candidates, lackingSkills: agents.count - candidates)
    }

    // MARK: Offers

    /// Counts the task against the agent's capacity (an offer or an assignment).
    mutating func hold(_ slot: Int32, by agent: Int32, now: Double) {
        let channel = tasks[Int(slot)].channel
        agents[Int(agent)].load[channel.slot] += 1
        agents[Int(agent)].totalLoad += 1
        if isExclusive(channel.slot) { agents[Int(agent)].exclusiveLoad += 1 }
        agents[Int(agent)].idleSince = now
        agents[Int(agent)].active.append(slot)
    }

    mutating func offer(_ slot: Int32, to agent: Int32, now: Double, selection: AgentSelection?, actions: inout [AssignmentAction]) {
        let channel = tasks[Int(slot)].channel
        hold(slot, by: agent, now: now)
        roundRobinCursor[Int(tasks[Int(slot)].queue)] = agent
        if autoAcceptMask & channel.bit != 0 {
            tasks[Int(slot)].state = .assigned(agent: agent)
            actions.append(.assign(task: tasks[Int(slot)].id, agent: agents[Int(agent)].id, selection: selection))
        } else {
            let expires = now + acceptTimeout
            counter &+= 1
            tasks[Int(slot)].offerStamp = counter
            tasks[Int(slot)].state = .offered(agent: agent, expires: expires)
            pushTimer(due: expires, kind: .offerExpiry, slot: slot, stamp: counter)
            actions.append(.offer(task: tasks[Int(slot)].id, agent: agents[Int(agent)].id,
                                  expires: Date(timeIntervalSince1970: expires), selection: selection))
        }
    }

    /// Frees the agent's slot for the task.
    mutating func release(_ slot: Int32, from agent: Int32) {
        let channel = tasks[Int(slot)].channel.slot
        agents[Int(agent)].load[channel] -= 1
        agents[Int(agent)].totalLoad -= 1
        if isExclusive(channel) { agents[Int(agent)].exclusiveLoad -= 1 }
        if let position = agents[Int(agent)].active.firstIndex(of: slot) { agents[Int(agent)].active.remove(at: position) }
        tasks[Int(slot)].state = .placing
    }

    /// A pending offer came back (declined or expired): the task goes to the next agent, and the
    /// agent's freed slot to the next waiting task (not this one again).
    mutating func returnOffer(_ slot: Int32, from agent: Int32, now: Double, actions: inout [AssignmentAction]) {
        release(slot, from: agent)
        if !tasks[Int(slot)].declinedBy.contains(agent) { tasks[Int(slot)].declinedBy.append(agent) }
        if tasks[Int(slot)].preferredAgent == agent { tasks[Int(slot)].preferredAgent = -1 }
        place(slot, now: now, excludingAgent: agent, actions: &actions)
        fill(agent, now: now, excluding: slot, actions: &actions)
    }

    /// Gives an agent with free capacity the best waiting tasks they can take, one at a time:
    /// highest priority, then oldest, across every bucket they serve and their reservations.
    mutating func fill(_ agent: Int32, now: Double, excluding: Int32 = -1, actions: inout [AssignmentAction]) {
        while agents[Int(agent)].status == .available, agents[Int(agent)].exclusiveLoad == 0,
              agents[Int(agent)].totalLoad < agents[Int(agent)].totalCapacity {
            var best: WaitEntry?
            var bestBucket: Int32 = -1
            var bestReserved = false
            for bucketID in agents[Int(agent)].buckets {
                guard buckets[Int(bucketID)].waiting > 0, canTake(agent, channel: Int(buckets[Int(bucketID)].key.channel)) else { continue }
                guard let head = validHead(bucketID, excluding: excluding) else { continue }
                if best == nil || head < best! {
                    best = head
                    bestBucket = bucketID
                }
            }
            for slot in agents[Int(agent)].reserved {
                let task = tasks[Int(slot)]
                guard canTake(agent, channel: task.channel.slot) else { continue }
                let entry = WaitEntry(priority: task.priority, arrival: task.arrival, sequence: task.uid, slot: slot, stamp: 0)
                if best == nil || entry < best! {
                    best = entry
                    bestReserved = true
                }
            }
            guard let chosen = best else { return }
            if bestReserved {
                removeReservation(chosen.slot, agent: agent)
                let selection = recordsExplanations ? preferredSelection(chosen.slot, agent: agent, waited: true) : nil
                offer(chosen.slot, to: agent, now: now, selection: selection, actions: &actions)
            } else {
                guard let entry = popValid(bestBucket, excluding: excluding), entry.slot == chosen.slot else { return }
                leaveWaiting(entry.slot)
                let selection = recordsExplanations ? filledSelection(entry.slot, agent: agent, bucket: bestBucket, now: now) : nil
                offer(entry.slot, to: agent, now: now, selection: selection, actions: &actions)
            }
        }
    }

    /// The first valid entry of a bucket's heap other than `excluding`, without removing it.
    mutating func validHead(_ bucketID: Int32, excluding: Int32) -> WaitEntry? {
        dropStale(bucketID)
        guard let top = buckets[Int(bucketID)].heap.first else { return nil }
        guard top.slot == excluding else { return top }
        let saved = buckets[Int(bucketID)].heap.pop()!
        dropStale(bucketID)
        let next = buckets[Int(bucketID)].heap.first
        buckets[Int(bucketID)].heap.push(saved)
        return next
    }

    mutating func popValid(_ bucketID: Int32, excluding: Int32) -> WaitEntry? {
        dropStale(bucketID)
        guard let top = buckets[Int(bucketID)].heap.first else { return nil }
        guard top.slot == excluding else { return buckets[Int(bucketID)].heap.pop() }
        let saved = buckets[Int(bucketID)].heap.pop()!
        dropStale(bucketID)
        let next = buckets[Int(bucketID)].heap.pop()
        buckets[Int(bucketID)].heap.push(saved)
        return next
    }

    mutating func dropStale(_ bucketID: Int32) {
        while let top = buckets[Int(bucketID)].heap.first, !isValid(top) {
            buckets[Int(bucketID)].heap.pop()
        }
    }

    // MARK: Agents

    mutating func changeStatus(_ agent: Int32, to status: AgentStatus, now: Double, actions: inout [AssignmentAction]) {
        let old = agents[Int(agent)].status
        guard old != status else { return }
        agents[Int(agent)].status = status
        if (old == .available) != (status == .available) {
            let delta = status == .available ? 1 : -1
            for bucketID in agents[Int(agent)].buckets { buckets[Int(bucketID)].availableCount += delta }
        }
        if status == .available {
            if old == .offline || old == .away { agents[Int(agent)].idleSince = max(agents[Int(agent)].idleSince, now) }
            fill(agent, now: now, actions: &actions)
            return
        }
        if status == .away || status == .offline {
            for slot in agents[Int(agent)].active {
                guard case .offered(let holder, _) = tasks[Int(slot)].state, holder == agent else { continue }
                actions.append(.revoke(task: tasks[Int(slot)].id, agent: agents[Int(agent)].id, reason: "the agent is \(status.rawValue)"))
                release(slot, from: agent)
                place(slot, now: now, actions: &actions)
            }
        }
        if status == .offline {
            for slot in agents[Int(agent)].active {
                release(slot, from: agent)
                actions.append(.requeue(task: tasks[Int(slot)].id, agent: agents[Int(agent)].id))
                place(slot, now: now, actions: &actions)
            }
            let reserved = agents[Int(agent)].reserved
            agents[Int(agent)].reserved.removeAll()
            for slot in reserved {
                tasks[Int(slot)].state = .placing
                tasks[Int(slot)].preferredAgent = -1
            }
            for slot in reserved { place(slot, now: now, actions: &actions) }
        }
        if old == .available {
            // The last available agent of a bucket left: "nobody available" steps fire for its waiting tasks.
            for bucketID in agents[Int(agent)].buckets
            where buckets[Int(bucketID)].availableCount == 0 && buckets[Int(bucketID)].waiting > 0 {
                let waiting = buckets[Int(bucketID)].heap.storage.filter(isValid).sorted().map(\.slot)
                for slot in waiting where tasks[Int(slot)].live {
                    guard case .waiting(let current) = tasks[Int(slot)].state, current == bucketID else { continue }
                    fireNoAgentSteps(slot, now: now, actions: &actions)
                }
            }
        }
    }

    // MARK: Ending tasks

    mutating func remove(_ slot: Int32, reason: String, now: Double, actions: inout [AssignmentAction]) {
        var freed: Int32 = -1
        switch tasks[Int(slot)].state {
        case .waiting: leaveWaiting(slot)
        case .reserved(let agent): removeReservation(slot, agent: agent)
        case .offered(let agent, _):
            actions.append(.revoke(task: tasks[Int(slot)].id, agent: agents[Int(agent)].id, reason: reason))
            release(slot, from: agent)
            freed = agent
        case .assigned(let agent):
            release(slot, from: agent)
            freed = agent
        case .placing: break
        }
        tasks[Int(slot)].live = false
        tasks[Int(slot)].waitStamp = 0
        taskIndex[tasks[Int(slot)].id] = nil
        freeTaskSlots.append(slot)
        if freed >= 0 { fill(freed, now: now, actions: &actions) }
    }

    // MARK: Escalation

    /// Fires the first unfired "nobody available" step; a routing step re-places the task, which
    /// fires the next one if there is still nobody. Notify steps fire and the search goes on.
    mutating func fireNoAgentSteps(_ slot: Int32, now: Double, actions: inout [AssignmentAction]) {
        let steps = tasks[Int(slot)].steps
        for index in steps.indices where steps[index].trigger == .noAgentAvailable && !tasks[Int(slot)].fired[index] {
            fireStep(slot, index, now: now, actions: &actions)
            if steps[index].action.changesRouting { return }
        }
    }

    mutating func fireStep(_ slot: Int32, _ index: Int, now: Double, actions: inout [AssignmentAction]) {
        guard tasks[Int(slot)].live, index < tasks[Int(slot)].steps.count, !tasks[Int(slot)].fired[index] else { return }
        tasks[Int(slot)].fired[index] = true
        let step = tasks[Int(slot)].steps[index]
        let id = tasks[Int(slot)].id
        if case .assigned = tasks[Int(slot)].state {
            // Already with an agent: only a breach still tells someone.
            if case .breach = step.trigger, case .notify(let target) = step.action {
                actions.append(.notify(task: id, target: target, step: step))
            }
            return
        }
        if case .notify(let target) = step.action {
            actions.append(.notify(task: id, target: target, step: step))
            return
        }
        actions.append(.escalate(task: id, step: step))
        tasks[Int(slot)].bucket = -1
        switch step.action {
        case .moveToQueue(let name):
            let queue = queueID(name)
            tasks[Int(slot)].queue = Int32(queue)
            tasks[Int(slot)].requirements = SkillRequirement.merged(queueDefinitions[queue].requiredSkills, tasks[Int(slot)].extras)
        case .relaxSkill(let skill, let level):
            func relaxed(_ list: [SkillRequirement]) -> [SkillRequirement] {
                list.compactMap { requirement in
                    guard requirement.skill == skill else { return requirement }
                    guard let level else { return nil }
                    return SkillRequirement(skill: skill, minimumLevel: min(level, requirement.minimumLevel))
                }
            }
            tasks[Int(slot)].requirements = relaxed(tasks[Int(slot)].requirements)
            tasks[Int(slot)].extras = relaxed(tasks[Int(slot)].extras)
        case .raisePriority(let by):
            tasks[Int(slot)].priority += by
        case .notify:
            break
        }
        switch tasks[Int(slot)].state {
        case .waiting:
            leaveWaiting(slot)
            place(slot, now: now, actions: &actions)
        case .reserved(let agent):
            removeReservation(slot, agent: agent)
            place(slot, now: now, actions: &actions)
        case .offered, .assigned, .placing:
            break
        }
    }
}
