/// The channel-mapping matrix, ready to route: rules tried top to bottom, first match wins, the
/// default for the rest. Pure: the same input gives the same decision, with its explanation.
///
///     let matrix = ChannelMatrix(configuration: routing)
///     let decision = matrix.route(RoutingInput(classification: verdict, channel: .social,
///                                              isPublicPost: true, contact: profile, time: arrival))
///     // decision.queue, .priority, .response (never public for private types), .sla, .escalation …
public struct ChannelMatrix: Sendable {
    public let configuration: RoutingConfiguration
    private let queues: [String: QueueDefinition]
    private let defaultActions: RuleActions
    private let compiled: [CompiledRule]
    private let typeIDs: [InquiryType: Int]
    private let attributeKeys: [String]
    private let attributeValueIDs: [[String: Int]]
    private let calendarList: [BusinessCalendar]

    /// Channels tried, in this order when costs are equal, when the wanted one cannot be used.
    static let fallbackChannels: [Channel] = [.email, .sms, .chat, .social]

    public init(configuration: RoutingConfiguration) {
        self.configuration = configuration
        var queues: [String: QueueDefinition] = [:]
        for queue in configuration.queues { queues[queue.id] = queue }
        self.queues = queues
        self.defaultActions = configuration.defaultActions ?? RuleActions(queue: configuration.queues.first?.id ?? "general")

        // Compile the conditions into masks and small integer ids, so matching a message needs a
        // handful of hash lookups however many rules there are.
        var typeIDs: [InquiryType: Int] = [:]
        for type in configuration.taxonomy where typeIDs[type] == nil { typeIDs[type] = typeIDs.count }
        for rule in configuration.rules {
            for type in (rule.conditions.types ?? []).sorted() where typeIDs[type] == nil { typeIDs[type] = typeIDs.count }
        }
        var keys: [String] = []
        var valueIDs: [[String: Int]] = []
        var calendarList: [BusinessCalendar] = []
        var calendarIndex: [String: Int] = [:]
        var compiled: [CompiledRule] = []
        for rule in configuration.rules {
            let conditions = rule.conditions
            var entry = CompiledRule(conditions: conditions)
            if let types = conditions.types {
                entry.typeMask = types.reduce(0) { mask, type in typeIDs[type]! < 64 ? mask | (1 << UInt64(typeIDs[type]!)) : mask }
                entry.typesBeyondMask = types.contains { typeIDs[$0]! >= 64 }
            }
            entry.channelMask = conditions.channels.map { AssignmentEngine.mask($0) }
            for key in conditions.attributes.keys.sorted() {
                var keyID = keys.firstIndex(of: key)
                if keyID == nil {
                    keys.append(key)
                    valueIDs.append([:])
                    keyID = keys.count - 1
                }
                var allowed: [Int] = []
                for value in conditions.attributes[key]!.sorted() {
                    if valueIDs[keyID!][value] == nil { valueIDs[keyID!][value] = valueIDs[keyID!].count }
                    allowed.append(valueIDs[keyID!][value]!)
                }
                entry.attributes.append((keyID!, allowed))
            }
            if let hours = conditions.businessHours {
                if let calendar = configuration.calendars[hours.calendar] {
                    if calendarIndex[hours.calendar] == nil {
                        calendarIndex[hours.calendar] = calendarList.count
                        calendarList.append(calendar)
                    }
                    entry.calendar = calendarIndex[hours.calendar]!
                } else {
                    entry.calendar = -2
                }
            }
            compiled.append(entry)
        }
        self.typeIDs = typeIDs
        self.attributeKeys = keys
        self.attributeValueIDs = valueIDs
        self.calendarList = calendarList
        self.compiled = compiled
    }

    // MARK: Routing

    public func route(_ input: RoutingInput) -> RoutingDecision {
        let typeID = typeIDs[input.type] ?? -1
        let typeBit: UInt64 = typeID >= 0 && typeID < 64 ? 1 << UInt64(typeID) : 0
        let channelBit = input.channel.bit
        var values: [Int] = []
        if !attributeKeys.isEmpty {
            values.reserveCapacity(attributeKeys.count)
            for (index, key) in attributeKeys.enumerated() {
                values.append(input.contact.attributes[key].flatMap { attributeValueIDs[index][$0] } ?? -1)
            }
        }
        var openCache: [Int8] = Array(repeating: -1, count: calendarList.count)

        var matchedIndex: Int?
        for index in compiled.indices {
            if matches(index, input, typeID: typeID, typeBit: typeBit, channelBit: channelBit, values: values, openCache: &openCache) {
                matchedIndex = index
                break
            }
        }
        let matchedRule = matchedIndex.map { configuration.rules[$0] }
        let actions = matchedRule?.actions ?? defaultActions
        var notes: [String] = []
        let definedQueue = queues[actions.queue]
        let queue = definedQueue ?? QueueDefinition(id: actions.queue)
        if definedQueue == nil { notes.append("queue \(actions.queue) is not defined; its defaults apply") }

        let response = resolveResponseChannel(actions.respondOn, input, notes: &notes)
        let frustrated = input.frustration >= configuration.frustrationThreshold

        var autoAnswer: String?
        var createsTask = true
        if let candidate = actions.autoAnswer {
            if input.alreadyAutoAnswered {
                notes.append("no automatic answer: the customer wrote back after one, so a human takes over")
            } else if frustrated {
                notes.append("no automatic answer: the customer is frustrated (\(RoutingText.decimal(input.frustration)) ≥ \(RoutingText.decimal(configuration.frustrationThreshold)))")
            } else {
                autoAnswer = candidate
                createsTask = !actions.deflect
                notes.append(actions.deflect
                    ? "automatic answer \(candidate) deflects the message; the conversation stays open for a human"
                    : "automatic answer \(candidate) acknowledges the message; a task is queued too")
            }
        }
        let suppressSales: Bool
        switch actions.suppressSales {
        case .always: suppressSales = true
        case .never: suppressSales = false
        case .whenFrustrated:
            suppressSales = frustrated
            if frustrated { notes.append("sales offers suppressed: the customer is frustrated") }
        }
        let cost = !createsTask
            ? (configuration.selfServiceCost ?? configuration.channelCosts[response.channel])
            : configuration.channelCosts[response.channel]

        let explanation = MatrixExplanation(input: input, rules: configuration.rules, calendars: configuration.calendars,
                                            matchedRule: matchedRule?.id ?? "default", matchedIndex: matchedIndex,
                                            matchedConditions: matchedRule?.conditions ?? RuleConditions(), notes: notes)
        return RoutingDecision(
            rule: matchedRule?.id ?? "default", ruleIndex: matchedIndex, queue: queue.id,
            priority: actions.priority ?? queue.priority,
            requiredSkills: actions.skills.isEmpty ? queue.requiredSkills : SkillRequirement.merged(queue.requiredSkills, actions.skills),
            response: response,
            sla: actions.sla.isEmpty ? queue.slaTargets(for: response.channel) : actions.sla.merged(over: queue.slaTargets(for: response.channel)),
            calendar: queue.calendar, escalation: actions.escalation, autoAnswer: autoAnswer, createsTask: createsTask,
            suppressSales: suppressSales, cost: cost, explanation: explanation)
    }

    /// Whether the compiled rule at `index` matches (the fast path; `misses` gives the reasons).
    @inline(__always)
    private func matches(_ index: Int, _ input: RoutingInput, typeID: Int, typeBit: UInt64, channelBit: UInt8,
                         values: [Int], openCache: inout [Int8]) -> Bool {
        if let mask = compiled[index].typeMask, mask & typeBit == 0 {
            guard compiled[index].typesBeyondMask, typeID >= 64, compiled[index].conditions.types!.contains(input.type) else { return false }
        }
        if let mask = compiled[index].channelMask, mask & channelBit == 0 { return false }
        if let publicPost = compiled[index].conditions.publicPost, publicPost != input.isPublicPost { return false }
        if !compiled[index].attributes.isEmpty {
            for (key, allowed) in compiled[index].attributes {
                let value = values[key]
                if value < 0 || !allowed.contains(value) { return false }
            }
        }
        if let range = compiled[index].conditions.confidence, !range.contains(input.confidence) { return false }
        if let range = compiled[index].conditions.frustration, !range.contains(input.frustration) { return false }
        if let hours = compiled[index].conditions.businessHours {
            let calendar = compiled[index].calendar
            guard calendar >= 0 else { return false }
            if openCache[calendar] < 0 { openCache[calendar] = calendarList[calendar].isOpen(at: input.time) ? 1 : 0 }
            if (openCache[calendar] == 1) != hours.open { return false }
        }
        return true
    }

    /// Every condition of `conditions` that `input` fails (empty when the rule matches).
    public func evaluate(_ conditions: RuleConditions, _ input: RoutingInput) -> [ConditionMiss] {
        ChannelMatrix.misses(of: conditions, input, calendars: configuration.calendars)
    }

    /// Every condition of `conditions` that `input` fails, given the calendars in force.
    public static func misses(of conditions: RuleConditions, _ input: RoutingInput, calendars: [String: BusinessCalendar]) -> [ConditionMiss] {
        var misses: [ConditionMiss] = []
        if let types = conditions.types, !types.contains(input.type) {
            misses.append(.type(actual: input.type, allowed: types))
        }
        if let channels = conditions.channels, !channels.contains(input.channel) {
            misses.append(.channel(actual: input.channel, allowed: channels))
        }
        if let publicPost = conditions.publicPost, publicPost != input.isPublicPost {
            misses.append(.publicPost(actual: input.isPublicPost))
        }
        for key in conditions.attributes.keys.sorted() {
            let allowed = conditions.attributes[key]!
            let actual = input.contact.attributes[key]
            if actual == nil || !allowed.contains(actual!) {
                misses.append(.attribute(key: key, actual: actual, allowed: allowed))
            }
        }
        if let range = conditions.confidence, !range.contains(input.confidence) {
            misses.append(.confidence(actual: input.confidence, range: range))
        }
        if let range = conditions.frustration, !range.contains(input.frustration) {
            misses.append(.frustration(actual: input.frustration, range: range))
        }
        if let hours = conditions.businessHours {
            if let calendar = calendars[hours.calendar] {
                if calendar.isOpen(at: input.time) != hours.open {
                    misses.append(.businessHours(calendar: hours.calendar, wantedOpen: hours.open))
                }
            } else {
                misses.append(.unknownCalendar(hours.calendar))
            }
        }
        return misses
    }

    // MARK: Response channel

    /// Applies the rule's choice, then privacy (never public for private types or `private`),
    /// then opt-outs and reachability, falling back to the cheapest usable private channel.
    func resolveResponseChannel(_ choice: ResponseChannelChoice, _ input: RoutingInput, notes: inout [String]) -> ResponseChannel {
        var wanted: ResponseChannel
        switch choice {
        case .same:
            wanted = ResponseChannel(channel: input.channel, isPublic: input.isPublicPost)
        case .preferred:
            if let preferred = input.contact.preferredChannel {
                wanted = ResponseChannel(channel: preferred, isPublic: false)
            } else {
                wanted = ResponseChannel(channel: input.channel, isPublic: input.isPublicPost)
                notes.append("the contact has no preferred channel; answering on \(input.channel.rawValue)")
            }
        case .privateOnly:
            wanted = ResponseChannel(channel: input.channel, isPublic: false)
            if input.isPublicPost { notes.append("the rule answers privately: a direct message instead of a public reply") }
        case .named(let channel):
            wanted = ResponseChannel(channel: channel, isPublic: channel == input.channel && input.isPublicPost)
        }
        if wanted.isPublic, configuration.isPrivate(input.type) {
            wanted.isPublic = false
            notes.append("\(input.type) is private: never answered publicly, so a direct message instead")
        }
        if let reason = unusable(wanted, input) {
            if let fallback = fallbackChannel(input) {
                notes.append("\(wanted) cannot be used (\(reason)); answering on \(fallback) instead")
                return fallback
            }
            notes.append("\(wanted) cannot be used (\(reason)) and no other private channel is known; an agent must choose")
            return ResponseChannel(channel: wanted.channel, isPublic: false)
        }
        return wanted
    }

    /// Why a channel cannot carry the answer, or nil when it can.
    func unusable(_ response: ResponseChannel, _ input: RoutingInput) -> String? {
        let contact = input.contact
        if contact.optedOut.contains(response.channel) { return "the customer opted out of \(response.channel.rawValue)" }
        if response.channel != input.channel, let reachable = contact.reachable, !reachable.contains(response.channel) {
            return "the contact has no \(response.channel.rawValue) identity"
        }
        if response.isDirectMessage && !contact.canReceiveDirectMessage { return "a direct message cannot be sent" }
        return nil
    }

    /// The best private channel the customer can be reached on: the source channel if usable
    /// privately, else the cheapest channel the contact is known to be reachable on (email, sms,
    /// chat, social DM in that order when costs are equal or not configured).
    func fallbackChannel(_ input: RoutingInput) -> ResponseChannel? {
        let source = ResponseChannel(channel: input.channel, isPublic: false)
        if unusable(source, input) == nil { return source }
        var usable: [ResponseChannel] = []
        for channel in ChannelMatrix.fallbackChannels where channel != input.channel {
            let candidate = ResponseChannel(channel: channel, isPublic: false)
            let known = input.contact.reachable?.contains(channel) ?? (channel == input.contact.preferredChannel)
            if known, unusable(candidate, input) == nil { usable.append(candidate) }
        }
        let costs = configuration.channelCosts
        return usable.enumerated().min { a, b in
            let costA = costs[a.element.channel] ?? .infinity, costB = costs[b.element.channel] ?? .infinity
            return costA != costB ? costA < costB : a.offset < b.offset
        }?.element
    }
}

/// A matrix rule's conditions as masks and small ids.
private struct CompiledRule: Sendable {
    var conditions: RuleConditions
    var typeMask: UInt64?
    var typesBeyondMask = false
    var channelMask: UInt8?
    var attributes: [(key: Int, allowed: [Int])] = []
    /// Index into the matrix's calendar list; -2 when the calendar is not defined.
    var calendar = -1

    init(conditions: RuleConditions) { self.conditions = conditions }
}
