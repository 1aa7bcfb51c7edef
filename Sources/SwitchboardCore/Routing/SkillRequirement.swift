import Foundation

/// A skill an agent must have, at or above a level, to take a task. Queues declare them, matrix
/// rules may add more, and escalation steps may relax them as a task waits (Genesys' bullseye).
public struct SkillRequirement: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var skill: String
    /// 1…10; an agent with the skill at this level or higher qualifies.
    public var minimumLevel: Int

    public init(skill: String, minimumLevel: Int = 1) {
        self.skill = skill
        self.minimumLevel = minimumLevel
    }

    public static func < (lhs: SkillRequirement, rhs: SkillRequirement) -> Bool {
        (lhs.skill, lhs.minimumLevel) < (rhs.skill, rhs.minimumLevel)
    }

    /// `billing` at level 1, `billing≥3` above.
    public var description: String { minimumLevel <= 1 ? skill : "\(skill)≥\(minimumLevel)" }

    /// A list as stored in task events: `billing≥2, general`, or `none`.
    public static func listDescription(_ list: [SkillRequirement]) -> String {
        list.isEmpty ? "none" : list.map(\.description).joined(separator: ", ")
    }

    /// Reads `listDescription` back; nil when the text is not such a list.
    public static func parseList(_ text: String) -> [SkillRequirement]? {
        if text == "none" { return [] }
        var list: [SkillRequirement] = []
        for item in text.split(separator: ",") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "≥", omittingEmptySubsequences: false)
            guard let name = parts.first, !name.isEmpty, parts.count <= 2 else { return nil }
            guard let level = parts.count == 2 ? Int(parts[1]) : 1 else { return nil }
            list.append(SkillRequirement(skill: String(name), minimumLevel: level))
        }
        return list.isEmpty ? nil : list
    }

    /// Whether a list is already sorted with one entry per skill (as `merged` returns it).
    public static func isNormalized(_ list: [SkillRequirement]) -> Bool {
        var index = 1
        while index < list.count {
            if list[index - 1].skill >= list[index].skill { return false }
            index += 1
        }
        return true
    }

    /// Merges requirement lists: one entry per skill, the highest level wins, sorted by skill.
    public static func merged(_ lists: [SkillRequirement]...) -> [SkillRequirement] {
        var levels: [String: Int] = [:]
        for list in lists {
            for requirement in list { levels[requirement.skill] = max(levels[requirement.skill] ?? 0, requirement.minimumLevel) }
        }
        return levels.map { SkillRequirement(skill: $0.key, minimumLevel: $0.value) }.sorted()
    }
}

/// How an agent's availability for new work is set by the agent, a supervisor or the shift plan.
/// Only `available` agents receive offers; `busy` agents keep their tasks and take no new ones;
/// `away` agents keep their tasks, their pending offers are withdrawn; `offline` agents are logged
/// out: pending offers are withdrawn and their unfinished tasks go back to the waiting queue.
public enum AgentStatus: String, Sendable, Hashable, CaseIterable {
    case available, busy, away, offline
}

/// Which agent a queue prefers when several could take a task.
public enum AssignmentStrategy: String, Sendable, Hashable, CaseIterable {
    /// The agent whose last assignment is oldest: spreads work evenly over time.
    case longestIdle = "longest_idle"
    /// The agent using the smallest share of their capacity across channels.
    case leastBusy = "least_busy"
    /// The next agent after the one who got the queue's previous task, in a fixed order.
    case roundRobin = "round_robin"
}

extension Duration {
    /// Seconds as a `Double` (what `Date` arithmetic uses).
    @inlinable
    public var timeInterval: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
