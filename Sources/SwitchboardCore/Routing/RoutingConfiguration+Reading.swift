import Foundation

/// Every problem found in a routing configuration, one `path: message (hint)` per line.
public struct RoutingConfigurationError: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigIssue]
    public init(issues: [ConfigIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

extension RoutingConfiguration {
    /// The sections this type reads from the object it is given.
    public static let sectionKeys = ["taxonomy", "skills", "queues", "agents", "calendars", "channel_costs",
                                     "responses", "matrix", "offers", "last_agent"]

    /// Reads the routing sections from the object `reader` stands on (the document root, or a
    /// `routing` object) and validates them, reporting every issue into the reader. Returns nil
    /// when there were issues in these sections. When none of the sections is present, the
    /// `minimal` configuration (one `general` queue) is returned. Unknown keys at the reader's own
    /// level are left for the caller to report, since other sections share that object.
    public static func read(from reader: ConfigReader) -> RoutingConfiguration? {
        let before = reader.issueCount
        for key in sectionKeys { reader.markKnown(key) }
        guard sectionKeys.contains(where: reader.contains) else {
            var configuration = RoutingConfiguration.minimal
            configuration.basePath = reader.path
            return configuration
        }
        var configuration = RoutingConfiguration(basePath: reader.path)
        configuration.readTaxonomy(reader.object("taxonomy"))
        configuration.skills = reader.stringList("skills", default: [])
        configuration.readCalendars(reader.object("calendars"))
        configuration.readQueues(reader.object("queues"))
        configuration.readAgents(reader.object("agents"))
        configuration.readCosts(reader.object("channel_costs"))
        configuration.readResponses(reader.object("responses"))
        configuration.readMatrix(reader.object("matrix", required: true,
                                               hint: "add \"matrix\": {\"rules\": [], \"default\": {\"queue\": \"…\"}}"))
        configuration.readOffers(reader.object("offers"))
        let lastAgent = reader.object("last_agent")
        configuration.lastAgent = LastAgentSettings(
            timeout: lastAgent.duration("timeout", default: .seconds(120), in: .zero ... .seconds(30 * 86_400)))
        lastAgent.reportUnknownKeys()
        for issue in configuration.validate() { reader.report(issue) }
        return reader.issueCount == before ? configuration : nil
    }

    /// Reads a standalone document of routing sections (tests; the simulator's scenarios, which
    /// add `extraKeys` such as `simulation`). Unknown top-level keys are issues.
    public static func parse(_ text: String, allowingKeys extraKeys: [String] = []) -> Result<RoutingConfiguration, RoutingConfigurationError> {
        let document: JSONValue
        do {
            document = try JSONParser().parse(text)
        } catch {
            return .failure(RoutingConfigurationError(issues: [ConfigIssue(syntaxError: error)]))
        }
        let reader = ConfigReader(root: document)
        guard reader.expectObject() else { return .failure(RoutingConfigurationError(issues: reader.issues)) }
        let configuration = read(from: reader)
        for key in extraKeys { reader.markKnown(key) }
        reader.reportUnknownKeys()
        if let configuration, !reader.hasIssues { return .success(configuration) }
        return .failure(RoutingConfigurationError(issues: reader.issues))
    }

    // MARK: Sections

    private mutating func readTaxonomy(_ reader: ConfigReader) {
        let types = reader.stringList("types", allowEmptyList: false) ?? InquiryType.defaultTaxonomy.map(\.rawValue)
        taxonomy = types.map(InquiryType.init(rawValue:))
        if let listed = reader.stringList("private") {
            privateTypes = Set(listed.map(InquiryType.init(rawValue:)))
        } else {
            privateTypes = RoutingConfiguration.defaultPrivateTypes.intersection(taxonomy)
        }
        reader.reportUnknownKeys()
    }

    private mutating func readCalendars(_ reader: ConfigReader) {
        for (id, entry) in reader.objectEntries() {
            let zoneName = entry.string("time_zone", default: "UTC")
            var zone = TimeZone(identifier: zoneName)
            if zone == nil {
                entry.report(.invalidValue, "\(ConfigReader.quote(zoneName)) is not a time zone",
                             hint: "an IANA name such as \"Europe/Berlin\" or \"America/New_York\"", key: "time_zone")
                zone = TimeZone(identifier: "UTC")
            }
            var hours: [Weekday: [OpeningHours]] = [:]
            let hoursReader = entry.object("hours")
            let groups: [(String, [Weekday])] = [("daily", Weekday.allCases), ("weekdays", [.mon, .tue, .wed, .thu, .fri]),
                                                 ("weekend", [.sat, .sun])] + Weekday.allCases.map { ($0.rawValue, [$0]) }
            for (key, days) in groups {
                guard let ranges = readOpeningHours(hoursReader, key) else { continue }
                for day in days { hours[day] = ranges }
            }
            hoursReader.reportUnknownKeys()
            var holidays = Set<LocalDate>()
            if let dates = entry.stringList("holidays") {
                for (position, text) in dates.enumerated() {
                    if let date = LocalDate(text) {
                        holidays.insert(date)
                    } else {
                        entry.report(ConfigIssue(path: entry.path.appending(key: "holidays").appending(index: position), code: .invalidValue,
                                                 message: "\(ConfigReader.quote(text)) is not a date", hint: "write dates as \"2025-12-25\""))
                    }
                }
            }
            entry.reportUnknownKeys()
            calendars[id] = BusinessCalendar(id: id, timeZone: zone!, hours: hours, holidays: holidays)
        }
    }

    /// `"08:00-18:00"`, `["08:00-12:00", "13:00-17:00"]`, or `"closed"`; nil when absent.
    private func readOpeningHours(_ reader: ConfigReader, _ key: String) -> [OpeningHours]? {
        reader.markKnown(key)
        guard let value = reader.value?[key], !value.isNull else { return nil }
        let texts: [(String, JSONPath)]
        let path = reader.path.appending(key: key)
        switch value {
        case .string(let text): texts = [(text, path)]
        case .array(let elements):
            texts = elements.enumerated().compactMap { position, element in
                guard let text = element.stringValue else {
                    reader.report(ConfigIssue(path: path.appending(index: position), code: .wrongType,
                                              message: "expected a string, found \(element.typeName)", hint: "like \"08:00-18:00\""))
                    return nil
                }
                return (text, path.appending(index: position))
            }
        default:
            reader.report(.wrongType, "expected opening hours, found \(value.typeName)",
                          hint: "\"08:00-18:00\", [\"08:00-12:00\", \"13:00-17:00\"] or \"closed\"", key: key)
            return nil
        }
        var ranges: [OpeningHours] = []
        for (text, at) in texts {
            if text == "closed" { continue }
            guard let range = OpeningHours.parse(text) else {
                reader.report(ConfigIssue(path: at, code: .invalidValue, message: "\(ConfigReader.quote(text)) is not an opening range",
                                          hint: "write \"HH:MM-HH:MM\" with the end after the start, e.g. \"08:00-18:00\" or \"00:00-24:00\""))
                continue
            }
            if let previous = ranges.first(where: { $0.endMinute > range.startMinute && $0.startMinute < range.endMinute }) {
                reader.report(ConfigIssue(path: at, code: .conflict, message: "\(range) overlaps \(previous)"))
                continue
            }
            ranges.append(range)
        }
        return ranges.sorted { $0.startMinute < $1.startMinute }
    }

    private mutating func readQueues(_ reader: ConfigReader) {
        for (id, entry) in reader.objectEntries() {
            let skills = Self.readSkillRequirements(entry, "skills")
            let strategy: AssignmentStrategy = entry.choice("strategy", default: .longestIdle)
            let priority = entry.int("priority", default: 0, in: 0...1000)
            let slaReader = entry.object("sla")
            let sla = Self.readTargets(slaReader)
            var channelSLA: [Channel: SLATargets] = [:]
            let channelsReader = slaReader.object("channels")
            for key in channelsReader.keys {
                guard let channel = Self.channel(key, in: channelsReader) else { continue }
                let targets = channelsReader.object(key)
                channelSLA[channel] = Self.readTargets(targets)
                targets.reportUnknownKeys()
            }
            channelsReader.reportUnknownKeys()
            slaReader.reportUnknownKeys()
            let calendar = entry.string("calendar")
            entry.reportUnknownKeys()
            queues.append(QueueDefinition(id: id, requiredSkills: skills, strategy: strategy, priority: priority, sla: sla,
                                          channelSLA: channelSLA, calendar: calendar))
        }
    }

    private static func readTargets(_ reader: ConfigReader) -> SLATargets {
        SLATargets(firstResponse: reader.duration("first_response", in: .seconds(1) ... .seconds(365 * 86_400)),
                   resolution: reader.duration("resolution", in: .seconds(1) ... .seconds(365 * 86_400)))
    }

    private mutating func readAgents(_ reader: ConfigReader) {
        for (id, entry) in reader.objectEntries() {
            let name = entry.string("name") ?? id
            var skills: [String: Int] = [:]
            let skillsReader = entry.object("skills")
            for key in skillsReader.keys {
                if let level = skillsReader.int(key, required: true, in: 1...10) { skills[key] = level }
            }
            skillsReader.reportUnknownKeys()
            var capacity: [Channel: Int] = [:]
            let capacityReader = entry.object("capacity", required: true, hint: "tasks at once per channel, e.g. {\"chat\": 3, \"email\": 5}")
            for key in capacityReader.keys {
                guard let channel = Self.channel(key, in: capacityReader) else { continue }
                if let count = capacityReader.int(key, required: true, in: 0...100) { capacity[channel] = count }
            }
            capacityReader.reportUnknownKeys()
            let shift = entry.string("shift")
            let token = entry.secret("token")?.description
            entry.reportUnknownKeys()
            agents.append(AgentDefinition(id: id, name: name, skills: skills, capacity: capacity, shift: shift, token: token))
        }
    }

    private mutating func readCosts(_ reader: ConfigReader) {
        for key in reader.keys {
            if key == "self_service" {
                selfServiceCost = Self.number(reader, key, in: 0...1_000_000)
                continue
            }
            guard let channel = Self.channel(key, in: reader, extra: ["self_service"]) else { continue }
            if let cost = Self.number(reader, key, in: 0...1_000_000) { channelCosts[channel] = cost }
        }
        reader.reportUnknownKeys()
    }

    private mutating func readResponses(_ reader: ConfigReader) {
        for (id, entry) in reader.objectEntries() {
            let title = entry.string("title", required: true) ?? id
            let text = entry.string("text", required: true) ?? ""
            let shortText = entry.string("short_text")
            if let shortText, shortText.count > 320 {
                entry.report(.outOfRange, "is \(shortText.count) characters long", hint: "keep SMS texts to two segments (320 characters)", key: "short_text")
            }
            let link = entry.string("link")
            let tags = entry.stringList("tags", default: [])
            entry.reportUnknownKeys()
            responses.append(StandardResponse(id: id, title: title, text: text, shortText: shortText, link: link, tags: tags))
        }
    }

    private mutating func readMatrix(_ reader: ConfigReader) {
        frustrationThreshold = Self.number(reader, "frustration_threshold", in: 0...1) ?? 0.5
        for (position, ruleReader) in reader.objectArray("rules").enumerated() {
            let id = ruleReader.string("id") ?? "rule-\(position + 1)"
            let conditions = Self.readConditions(ruleReader.object("when"))
            let actionsReader = ruleReader.object("then", required: true, hint: "what to do, e.g. {\"queue\": \"billing\"}")
            let actions = Self.readActions(actionsReader)
            ruleReader.reportUnknownKeys()
            rules.append(MatrixRule(id: id, conditions: conditions, actions: actions))
        }
        if reader.contains("default") {
            defaultActions = Self.readActions(reader.object("default"))
        } else {
            reader.markKnown("default")
        }
        reader.reportUnknownKeys()
    }

    private static func readConditions(_ reader: ConfigReader) -> RuleConditions {
        var conditions = RuleConditions()
        if let types = reader.stringList("types", allowEmptyList: false) { conditions.types = Set(types.map(InquiryType.init(rawValue:))) }
        if let channels = reader.stringList("channels", allowed: Channel.allCases.map(\.rawValue), allowEmptyList: false) {
            conditions.channels = Set(channels.compactMap(Channel.init(rawValue:)))
        }
        conditions.publicPost = reader.bool("public_post")
        let attributes = reader.object("attributes")
        for key in attributes.keys {
            switch attributes.value?[key] {
            case .string(let value)?:
                attributes.markKnown(key)
                conditions.attributes[key] = [value]
            case .array?:
                if let values = attributes.stringList(key, allowEmptyList: false) { conditions.attributes[key] = Set(values) }
            case let other?:
                attributes.markKnown(key)
                attributes.report(.wrongType, "expected a string or a list of strings, found \(other.typeName)", key: key)
            case nil: break
            }
        }
        conditions.confidence = readRange(reader, "min_confidence", "max_confidence")
        conditions.frustration = readRange(reader, "min_frustration", "max_frustration")
        if reader.contains("business_hours") {
            let hours = reader.object("business_hours")
            if let calendar = hours.string("calendar", required: true, hint: "the id of a calendar in calendars") {
                conditions.businessHours = BusinessHoursCondition(calendar: calendar, open: hours.bool("open", default: true))
            }
            hours.reportUnknownKeys()
        } else {
            reader.markKnown("business_hours")
        }
        reader.reportUnknownKeys()
        return conditions
    }

    private static func readRange(_ reader: ConfigReader, _ minimumKey: String, _ maximumKey: String) -> ClosedRange<Double>? {
        let minimum = number(reader, minimumKey, in: 0...1)
        let maximum = number(reader, maximumKey, in: 0...1)
        guard minimum != nil || maximum != nil else { return nil }
        let low = minimum ?? 0, high = maximum ?? 1
        guard low <= high else {
            reader.report(.conflict, "\(minimumKey) \(RoutingText.decimal(low)) is above \(maximumKey) \(RoutingText.decimal(high)): the rule can never match",
                          key: minimumKey)
            return nil
        }
        return low...high
    }

    private static func readActions(_ reader: ConfigReader) -> RuleActions {
        let queue = reader.string("queue", required: true, hint: "the id of a queue in queues") ?? ""
        var actions = RuleActions(queue: queue)
        actions.priority = reader.int("priority", in: 0...1000)
        actions.skills = readSkillRequirements(reader, "skills")
        if let word = reader.oneOf("respond_on", ResponseChannelChoice.words) { actions.respondOn = ResponseChannelChoice.parse(word)! }
        let sla = reader.object("sla")
        actions.sla = readTargets(sla)
        sla.reportUnknownKeys()
        actions.escalation = reader.objectArray("escalation").compactMap(readEscalationStep)
        actions.autoAnswer = reader.string("auto_answer")
        actions.deflect = reader.bool("deflect", default: true)
        actions.suppressSales = reader.choice("suppress_sales", default: .whenFrustrated)
        reader.reportUnknownKeys()
        return actions
    }

    static let escalationTriggers = ["no_agent", "first_response_breach", "resolution_breach"]

    private static func readEscalationStep(_ reader: ConfigReader) -> EscalationStep? {
        let before = reader.issueCount
        var triggers: [EscalationStep.Trigger] = []
        if let after = reader.duration("after", in: .zero ... .seconds(365 * 86_400)) { triggers.append(.after(after)) }
        if let on = reader.oneOf("on", escalationTriggers) {
            switch on {
            case "no_agent": triggers.append(.noAgentAvailable)
            case "first_response_breach": triggers.append(.breach(.firstResponse))
            default: triggers.append(.breach(.resolution))
            }
        }
        var actions: [EscalationStep.Action] = []
        if let queue = reader.string("move_to") { actions.append(.moveToQueue(queue)) }
        if let skill = reader.string("relax_skill") {
            actions.append(.relaxSkill(skill, toLevel: reader.int("to_level", in: 1...10)))
        } else {
            reader.markKnown("to_level")
        }
        if let by = reader.int("raise_priority", in: 1...1000) { actions.append(.raisePriority(by: by)) }
        if let target = reader.string("notify") { actions.append(.notify(target)) }
        reader.reportUnknownKeys()
        guard reader.issueCount == before else { return nil }
        if triggers.count != 1 {
            reader.report(triggers.isEmpty ? .missing : .conflict,
                          triggers.isEmpty ? "the step has no trigger" : "the step has more than one trigger",
                          hint: "give exactly one of \"after\": \"10m\" or \"on\": \"no_agent\" | \"first_response_breach\" | \"resolution_breach\"")
        }
        if actions.count != 1 {
            reader.report(actions.isEmpty ? .missing : .conflict,
                          actions.isEmpty ? "the step has no action" : "the step has more than one action",
                          hint: "give exactly one of move_to, relax_skill, raise_priority, notify")
        }
        guard reader.issueCount == before, let trigger = triggers.first, let action = actions.first else { return nil }
        return EscalationStep(trigger, action)
    }

    private mutating func readOffers(_ reader: ConfigReader) {
        let timeout = reader.duration("accept_timeout", default: .seconds(30), in: .seconds(1) ... .seconds(3600))
        var autoAccept = Set<Channel>()
        switch reader.value?["auto_accept"] {
        case .array?:
            autoAccept = Set((reader.stringList("auto_accept", allowed: Channel.allCases.map(\.rawValue)) ?? []).compactMap(Channel.init(rawValue:)))
        case .bool(let flag)?:
            reader.markKnown("auto_accept")
            if flag { autoAccept = Set(Channel.allCases) }
        case nil, .null?:
            reader.markKnown("auto_accept")
        case let other?:
            reader.markKnown("auto_accept")
            reader.report(.wrongType, "expected true, false or a list of channels, found \(other.typeName)", key: "auto_accept")
        }
        offers = OfferSettings(acceptTimeout: timeout, autoAcceptChannels: autoAccept)
        if let exclusive = reader.stringList("exclusive_channels", allowed: Channel.allCases.map(\.rawValue)) {
            exclusiveChannels = Set(exclusive.compactMap(Channel.init(rawValue:)))
        }
        reader.reportUnknownKeys()
    }

    // MARK: Helpers

    /// `{"billing": 2, "english": 1}` or `["billing", "english"]` (level 1).
    private static func readSkillRequirements(_ reader: ConfigReader, _ key: String) -> [SkillRequirement] {
        switch reader.value?[key] {
        case .array?:
            return (reader.stringList(key) ?? []).map { SkillRequirement(skill: $0) }.sorted()
        case .object?:
            let levels = reader.object(key)
            var result: [SkillRequirement] = []
            for skill in levels.keys {
                if let level = levels.int(skill, required: true, in: 1...10) { result.append(SkillRequirement(skill: skill, minimumLevel: level)) }
            }
            levels.reportUnknownKeys()
            return result.sorted()
        case nil, .null?:
            reader.markKnown(key)
            return []
        case let other?:
            reader.markKnown(key)
            reader.report(.wrongType, "expected skills with levels or a list of skills, found \(other.typeName)",
                          hint: "{\"billing\": 2} or [\"billing\"]", key: key)
            return []
        }
    }

    /// A key of a per-channel map, as a channel; reports unknown names with a suggestion.
    private static func channel(_ key: String, in reader: ConfigReader, extra: [String] = []) -> Channel? {
        if let channel = Channel(rawValue: key) { return channel }
        reader.markKnown(key)
        let names = Channel.allCases.map(\.rawValue) + extra
        let hint = KeySuggestion.closest(to: key, in: names).map { "did you mean \(ConfigReader.quote($0))?" }
            ?? "channels are " + names.joined(separator: ", ")
        reader.report(.unknownReference, "unknown channel \(ConfigReader.quote(key))", hint: hint, key: key)
        return nil
    }

    /// A JSON number within `range`.
    private static func number(_ reader: ConfigReader, _ key: String, in range: ClosedRange<Double>) -> Double? {
        reader.markKnown(key)
        guard let value = reader.value?[key], !value.isNull else { return nil }
        guard let number = value.doubleValue else {
            reader.report(.wrongType, "expected a number, found \(value.typeName)",
                          hint: value.stringValue.flatMap(Double.init) != nil ? "write the number without quotes" : nil, key: key)
            return nil
        }
        guard range.contains(number) else {
            reader.report(.outOfRange, "must be between \(RoutingText.decimal(range.lowerBound)) and \(RoutingText.decimal(range.upperBound)), found \(RoutingText.decimal(number))",
                          key: key)
            return nil
        }
        return number
    }
}
