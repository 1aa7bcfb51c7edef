extension ConfigIssue.Code {
    /// A matrix rule that can never match because an earlier rule matches everything it does.
    public static let unreachableRule: ConfigIssue.Code = "unreachable_rule"
}

extension RoutingConfiguration {
    /// Cross-checks between sections: every queue, skill, inquiry type, response and calendar
    /// named anywhere is defined; the matrix has a default; no rule is shadowed by an earlier one
    /// (an earlier rule whose conditions match everything the later one matches). Channel names
    /// are checked while reading, since an unknown one cannot be represented.
    public func validate() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        let queueIDs = Set(queues.map(\.id))
        let skillSet = Set(skills)
        let typeSet = Set(taxonomy)
        let responseIDs = Set(responses.map(\.id))

        func path(_ keys: String...) -> JSONPath {
            keys.reduce(basePath) { $0.appending(key: $1) }
        }
        func unknown(_ kind: String, _ name: String, at: JSONPath, among known: [String], hint: String) {
            let suggestion = KeySuggestion.closest(to: name, in: known).map { "did you mean \(ConfigReader.quote($0))?" }
            issues.append(ConfigIssue(path: at, code: .unknownReference, message: "unknown \(kind) \(ConfigReader.quote(name))",
                                      hint: suggestion ?? hint))
        }
        func checkSkills(_ requirements: [SkillRequirement], at base: JSONPath) {
            for requirement in requirements where !skillSet.contains(requirement.skill) {
                unknown("skill", requirement.skill, at: base.appending(key: requirement.skill), among: skills,
                        hint: skills.isEmpty ? "list every skill in \"skills\"" : "add it to \"skills\"")
            }
        }
        func checkQueue(_ queue: String, at: JSONPath) {
            guard !queue.isEmpty, !queueIDs.contains(queue) else { return }
            unknown("queue", queue, at: at, among: queues.map(\.id), hint: "define it under \"queues\"")
        }
        func checkCalendar(_ calendar: String, at: JSONPath) {
            guard calendars[calendar] == nil else { return }
            unknown("calendar", calendar, at: at, among: calendars.keys.sorted(), hint: "define it under \"calendars\"")
        }

        for type in privateTypes.sorted() where !typeSet.contains(type) {
            unknown("inquiry type", type.rawValue, at: path("taxonomy", "private"), among: taxonomy.map(\.rawValue),
                    hint: "private types must be listed in taxonomy.types")
        }
        for queue in queues {
            checkSkills(queue.requiredSkills, at: path("queues", queue.id, "skills"))
            if let calendar = queue.calendar { checkCalendar(calendar, at: path("queues", queue.id, "calendar")) }
        }
        for agent in agents {
            for skill in agent.skills.keys.sorted() where !skillSet.contains(skill) {
                unknown("skill", skill, at: path("agents", agent.id, "skills", skill), among: skills,
                        hint: skills.isEmpty ? "list every skill in \"skills\"" : "add it to \"skills\"")
            }
            if let shift = agent.shift { checkCalendar(shift, at: path("agents", agent.id, "shift")) }
        }

        func checkActions(_ actions: RuleActions, at base: JSONPath) {
            checkQueue(actions.queue, at: base.appending(key: "queue"))
            checkSkills(actions.skills, at: base.appending(key: "skills"))
            if let response = actions.autoAnswer, !responseIDs.contains(response) {
                unknown("response", response, at: base.appending(key: "auto_answer"), among: responses.map(\.id),
                        hint: "define it under \"responses\"")
            }
            for (position, step) in actions.escalation.enumerated() {
                let stepPath = base.appending(key: "escalation").appending(index: position)
                switch step.action {
                case .moveToQueue(let queue): checkQueue(queue, at: stepPath.appending(key: "move_to"))
                case .relaxSkill(let skill, _):
                    if !skillSet.contains(skill) {
                        unknown("skill", skill, at: stepPath.appending(key: "relax_skill"), among: skills, hint: "add it to \"skills\"")
                    }
                case .raisePriority, .notify: break
                }
            }
        }
        var seenIDs: [String: Int] = [:]
        for (index, rule) in rules.enumerated() {
            let rulePath = path("matrix", "rules").appending(index: index)
            if let first = seenIDs[rule.id] {
                issues.append(ConfigIssue(path: rulePath.appending(key: "id"), code: .conflict,
                                          message: "rule id \(ConfigReader.quote(rule.id)) is also used by matrix.rules[\(first)]",
                                          hint: "rule ids name rules in explanations: make them unique"))
            } else {
                seenIDs[rule.id] = index
            }
            for type in (rule.conditions.types ?? []).sorted() where !typeSet.contains(type) {
                unknown("inquiry type", type.rawValue, at: rulePath.appending(key: "when").appending(key: "types"),
                        among: taxonomy.map(\.rawValue), hint: "known types: " + taxonomy.map(\.rawValue).joined(separator: ", "))
            }
            if let hours = rule.conditions.businessHours {
                checkCalendar(hours.calendar, at: rulePath.appending(key: "when").appending(key: "business_hours").appending(key: "calendar"))
            }
            checkActions(rule.actions, at: rulePath.appending(key: "then"))
            if let earlier = rules[..<index].firstIndex(where: { covers($0.conditions, rule.conditions) }) {
                let shadow = rules[earlier]
                issues.append(ConfigIssue(
                    path: rulePath, code: .unreachableRule,
                    message: "rule \(ConfigReader.quote(rule.id)) can never match: rule \(ConfigReader.quote(shadow.id)) (matrix.rules[\(earlier)]) matches every message it would",
                    hint: "move it above \(ConfigReader.quote(shadow.id)), narrow \(ConfigReader.quote(shadow.id)), or remove it"))
            }
        }
        if let defaultActions {
            checkActions(defaultActions, at: path("matrix", "default"))
        } else {
            issues.append(ConfigIssue(path: path("matrix", "default"), code: .missing, message: "the matrix has no default",
                                      hint: "add \"default\": {\"queue\": \"…\"} for messages no rule matches"))
        }
        return issues
    }

    /// Whether every message that `later` matches is also matched by `earlier`.
    public func covers(_ earlier: RuleConditions, _ later: RuleConditions) -> Bool {
        if let types = earlier.types, !(later.types ?? Set(taxonomy)).isSubset(of: types) { return false }
        if let channels = earlier.channels, !(later.channels ?? Set(Channel.allCases)).isSubset(of: channels) { return false }
        if let publicPost = earlier.publicPost, later.publicPost != publicPost { return false }
        for (key, values) in earlier.attributes {
            guard let laterValues = later.attributes[key], laterValues.isSubset(of: values) else { return false }
        }
        func rangeCovers(_ outer: ClosedRange<Double>?, _ inner: ClosedRange<Double>?) -> Bool {
            guard let outer else { return true }
            let inner = inner ?? 0...1
            return outer.lowerBound <= inner.lowerBound && inner.upperBound <= outer.upperBound
        }
        if !rangeCovers(earlier.confidence, later.confidence) || !rangeCovers(earlier.frustration, later.frustration) { return false }
        if let hours = earlier.businessHours, later.businessHours != hours { return false }
        return true
    }
}
