extension AssignmentEngine {
    /// Checks the engine's guarantees against its own state and returns every violation in plain
    /// words (empty when all hold). The property tests call it after every event; a daemon can
    /// expose it on a debug endpoint. Linear in tasks and agents.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        var holder: [Int32: Int32] = [:]
        for (index, agent) in agents.enumerated() {
            var load = SIMD8<Int32>()
            var exclusive: Int32 = 0
            for slot in agent.active {
                let task = tasks[Int(slot)]
                if !task.live { problems.append("agent \(agent.id) holds a finished task \(task.id)") }
                switch task.state {
                case .offered(let owner, _) where owner == Int32(index), .assigned(let owner) where owner == Int32(index): break
                default: problems.append("agent \(agent.id) holds \(task.id), which is \(task.state)")
                }
                if let other = holder[slot] { problems.append("\(task.id) is held by \(agents[Int(other)].id) and \(agent.id)") }
                holder[slot] = Int32(index)
                load[task.channel.slot] += 1
                if isExclusive(task.channel.slot) { exclusive += 1 }
            }
            if load != agent.load { problems.append("agent \(agent.id) load \(agent.load) differs from its tasks \(load)") }
            if agent.totalLoad != load.wrappedSum() { problems.append("agent \(agent.id) total load is wrong") }
            if agent.exclusiveLoad != exclusive { problems.append("agent \(agent.id) exclusive load is wrong") }
            for channel in Channel.allCases where load[channel.slot] > agent.capacity[channel.slot] {
                problems.append("agent \(agent.id) holds \(load[channel.slot]) \(channel.rawValue) tasks, capacity \(agent.capacity[channel.slot])")
            }
            if exclusive > 0 && load.wrappedSum() > 1 { problems.append("agent \(agent.id) holds an exclusive task with others") }
            for slot in agent.reserved {
                guard case .reserved(let owner) = tasks[Int(slot)].state, owner == Int32(index), tasks[Int(slot)].live else {
                    problems.append("agent \(agent.id) has a stale reservation of \(tasks[Int(slot)].id)")
                    continue
                }
            }
        }
        var validEntries = Array(repeating: 0, count: buckets.count)
        var entryCount: [UInt64: Int] = [:]
        for (id, bucket) in buckets.enumerated() {
            for entry in bucket.heap.storage where isValid(entry) {
                validEntries[id] += 1
                entryCount[entry.stamp, default: 0] += 1
            }
            if validEntries[id] != bucket.waiting { problems.append("bucket \(id) counts \(bucket.waiting) waiting, has \(validEntries[id])") }
            let available = bucket.candidates.filter { agents[Int($0)].status == .available }.count
            if available != bucket.availableCount { problems.append("bucket \(id) counts \(bucket.availableCount) available agents, has \(available)") }
        }
        for (id, slot) in taskIndex {
            let task = tasks[Int(slot)]
            if !task.live || task.id != id { problems.append("index entry \(id) points at a dead slot"); continue }
            switch task.state {
            case .placing: problems.append("task \(id) is in no state (dropped)")
            case .waiting(let bucketID):
                if entryCount[task.waitStamp] != 1 { problems.append("task \(id) is waiting without exactly one place in line") }
                let bucket = buckets[Int(bucketID)]
                if bucket.key.queue != task.queue || Int(bucket.key.channel) != task.channel.slot {
                    problems.append("task \(id) waits in the wrong bucket")
                }
                // Work-conserving: nobody who could take it has room (except agents who declined it).
                for agent in bucket.candidates where canTake(agent, channel: task.channel.slot) && !task.declinedBy.contains(agent) {
                    problems.append("task \(id) waits while \(agents[Int(agent)].id) could take it")
                    break
                }
            case .reserved(let agent):
                if !agents[Int(agent)].reserved.contains(slot) { problems.append("task \(id) is reserved but not listed by its agent") }
            case .offered(let agent, _), .assigned(let agent):
                if holder[slot] != agent { problems.append("task \(id) is offered or assigned to \(agents[Int(agent)].id), who does not hold it") }
            }
        }
        if holder.count > taskIndex.count { problems.append("agents hold more tasks than exist") }
        return problems
    }
}
