import Foundation

/// Everything `switchboard explain MESSAGE_ID` shows about one message: the classifier's verdict
/// and why, which matrix rule matched and why the earlier ones did not, the decision, the agent
/// chosen and why the others were not, and the SLA clocks' state. A value assembled by the
/// daemon from what it stored; rendered as text for people and JSON for tools.
public struct DecisionExplanation: Sendable, Hashable {
    public var messageID: String
    public var classification: Classification?
    public var routing: RoutingDecision
    /// The latest agent selection for the task (offer, assignment, or why it waits).
    public var assignment: AgentSelection?
    public var sla: [SLASnapshot]
    /// The instant the SLA state is given for.
    public var asOf: Date

    public init(messageID: String, classification: Classification?, routing: RoutingDecision,
                assignment: AgentSelection?, sla: SLATracker?, asOf: Date) {
        self.messageID = messageID
        self.classification = classification
        self.routing = routing
        self.assignment = assignment
        self.sla = sla?.clocks.map { SLASnapshot($0, at: asOf) } ?? []
        self.asOf = asOf
    }
}

/// An SLA clock's state at one instant.
public struct SLASnapshot: Sendable, Hashable {
    public var kind: SLAKind
    public var target: Double
    public var state: SLAState
    public var elapsed: Double
    public var deadline: Date?
    public var calendar: String
    public var events: [SLAEvent]

    public init(_ clock: SLAClock, at now: Date) {
        var copy = clock
        copy.update(at: now)
        kind = copy.kind
        target = copy.target
        state = copy.state
        elapsed = copy.elapsed(at: now)
        deadline = copy.deadline
        calendar = copy.calendar.id
        events = copy.events
    }
}

extension DecisionExplanation {
    // MARK: Text

    /// The explanation as lines of plain text.
    public var text: String {
        var lines: [String] = ["Message \(messageID)"]
        let input = routing.explanation.input
        lines.append("  arrived \(RoutingText.time(input.time)) on \(input.channel.rawValue)\(input.isPublicPost ? " (public post)" : "")")

        if let classification {
            lines.append("")
            lines.append("Classification: \(classification.type) (confidence \(RoutingText.decimal(classification.confidence)))")
            switch classification.decidedBy {
            case .rule(let id, let matched):
                lines.append("  decided by rule \(id), which matched \(ConfigReader.quote(matched))")
            case .model(let features):
                lines.append("  decided by the model" + (features.isEmpty ? "" : "; strongest features: " + features.prefix(5).map(\.description).joined(separator: ", ")))
            case .belowThreshold(let original, let features):
                lines.append("  the model's best type \(original) scored below the confidence threshold, so \(classification.type)"
                             + (features.isEmpty ? "" : "; its features: " + features.prefix(5).map(\.description).joined(separator: ", ")))
            }
            if !classification.runnerUps.isEmpty {
                lines.append("  next most likely: " + classification.runnerUps.prefix(3).map { "\($0.type) \(RoutingText.decimal($0.score))" }.joined(separator: ", "))
            }
            let frustration = classification.frustration
            lines.append("  frustration \(RoutingText.decimal(frustration.score))" + (frustration.cues.isEmpty ? "" : " (" + frustration.cues.joined(separator: ", ") + ")"))
        } else {
            lines.append("")
            lines.append("Classification: \(input.type) (confidence \(RoutingText.decimal(input.confidence)), frustration \(RoutingText.decimal(input.frustration)))")
        }

        let matrix = routing.explanation
        lines.append("")
        if let index = matrix.matchedIndex {
            lines.append("Matrix: rule \(matrix.matchedRule) (matrix.rules[\(index)]) matched")
        } else {
            lines.append("Matrix: no rule matched; the default applies")
        }
        for skipped in matrix.skipped {
            lines.append("  rule \(skipped.ruleID) (rules[\(skipped.index)]) did not match: " + skipped.misses.map(\.description).joined(separator: "; "))
        }
        let held = matrix.heldConditions
        if matrix.matchedIndex != nil {
            lines.append("  rule \(matrix.matchedRule) matched because " + (held.isEmpty ? "it has no conditions" : held.joined(separator: "; ")))
        }
        for note in matrix.notes { lines.append("  note: \(note)") }

        lines.append("")
        lines.append("Decision: queue \(routing.queue), priority \(routing.priority)"
                     + (routing.requiredSkills.isEmpty ? "" : ", skills " + routing.requiredSkills.map(\.description).joined(separator: ", ")))
        lines.append("  answer on \(routing.response)" + (routing.cost.map { ", cost \(RoutingText.decimal($0))" } ?? ""))
        if let answer = routing.autoAnswer {
            lines.append("  automatic answer: \(answer)" + (routing.createsTask ? " (and a task for an agent)" : " (deflected: no task unless the customer writes back)"))
        }
        if routing.suppressSales { lines.append("  sales offers suppressed") }
        for step in routing.escalation { lines.append("  escalation: \(step)") }

        lines.append("")
        if let assignment {
            if let chosen = assignment.chosen {
                lines.append("Agent: \(chosen) (queue \(assignment.queue), strategy \(assignment.strategy.rawValue))")
            } else {
                lines.append("Agent: none yet (queue \(assignment.queue), strategy \(assignment.strategy.rawValue))")
            }
            lines.append("  why: \(assignment.reason)")
            lines.append("  \(assignment.candidates) agent\(assignment.candidates == 1 ? " has" : "s have") the skills and the channel; \(assignment.lackingSkills) do\(assignment.lackingSkills == 1 ? "es" : "") not")
            for kind in AgentSelection.PassedOver.Kind.allCases {
                guard let count = assignment.passedOverCounts[kind] else { continue }
                let examples = assignment.passedOver.filter { $0.kind == kind }.prefix(5).map { "\($0.agent): \($0.detail)" }
                lines.append("  \(count) \(kind.rawValue)" + (examples.isEmpty ? "" : ": " + examples.joined(separator: "; ")) + (count > examples.count ? "; …" : ""))
            }
        } else if routing.createsTask {
            lines.append("Agent: no selection recorded yet")
        } else {
            lines.append("Agent: none (answered by self-service)")
        }

        lines.append("")
        if sla.isEmpty {
            lines.append("SLA: no targets")
        } else {
            lines.append("SLA as of \(RoutingText.time(asOf)):")
            for clock in sla {
                var line = "  \(clock.kind.rawValue): \(clock.state.rawValue), \(RoutingText.duration(clock.elapsed)) of \(RoutingText.duration(clock.target)) business time (calendar \(clock.calendar))"
                if let deadline = clock.deadline { line += ", due \(RoutingText.time(deadline))" }
                lines.append(line)
                lines.append("    " + clock.events.map { "\(RoutingText.time($0.time)) \($0.event.rawValue)" }.joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: JSON

    /// The explanation as a JSON document.
    public var json: String {
        var writer = JSONWriter(capacity: 2048)
        write(into: &writer)
        return writer.string
    }

    public func write(into writer: inout JSONWriter) {
        let input = routing.explanation.input
        writer.object { w in
            w.field("message_id", messageID)
            w.field("input", object: { w in
                w.field("type", input.type.rawValue)
                w.field("confidence", input.confidence)
                w.field("frustration", input.frustration)
                w.field("channel", input.channel.rawValue)
                w.field("public_post", input.isPublicPost)
                w.field("time", RFC3339.format(input.time))
                w.field("attributes", object: { w in
                    for key in input.contact.attributes.keys.sorted() { w.field(key, input.contact.attributes[key]!) }
                })
            })
            Self.writeDecisionFields(classification: classification, routing: routing, into: &w, stored: false)
            if let assignment {
                w.field("assignment", object: { w in
                    w.field("queue", assignment.queue)
                    w.field("strategy", assignment.strategy.rawValue)
                    if let chosen = assignment.chosen { w.field("agent", chosen) } else { w.key("agent"); w.nullValue() }
                    w.field("reason", assignment.reason)
                    w.field("candidates", assignment.candidates)
                    w.field("lacking_skills", assignment.lackingSkills)
                    w.field("passed_over_counts", object: { w in
                        for kind in AgentSelection.PassedOver.Kind.allCases {
                            if let count = assignment.passedOverCounts[kind] { w.field(kind.rawValue, count) }
                        }
                    })
                    w.field("passed_over", array: { w in
                        for passed in assignment.passedOver {
                            w.object { w in
                                w.field("agent", passed.agent)
                                w.field("reason", passed.kind.rawValue)
                                w.field("detail", passed.detail)
                            }
                        }
                    })
                })
            }
            w.field("sla", array: { w in
                for clock in sla {
                    w.object { w in
                        w.field("kind", clock.kind.rawValue)
                        w.field("state", clock.state.rawValue)
                        w.field("target_seconds", clock.target)
                        w.field("elapsed_seconds", clock.elapsed)
                        w.field("calendar", clock.calendar)
                        if let deadline = clock.deadline { w.field("deadline", RFC3339.format(deadline)) }
                        w.field("events", array: { w in
                            for event in clock.events {
                                w.object { w in
                                    w.field("event", event.event.rawValue)
                                    w.field("time", RFC3339.format(event.time))
                                }
                            }
                        })
                    }
                }
            })
            w.field("as_of", RFC3339.format(asOf))
        }
    }

    /// The JSON stored with each message when it is decided (`MessageDecision.details`): the
    /// classification, the matrix's reasons and the decision, which is what `switchboard explain`
    /// shows. This runs on the ingest path for every message, and the row it goes into is what the
    /// disk writes, so it is kept small: the input and the times are the message's own columns, and
    /// nothing is assigned or timed yet; the type, confidence, queue and priority are columns too;
    /// empty lists, false flags, a null index and a calm frustration are left out.
    /// `expandStored` puts every one of them back, so readers always see the whole document.
    public func writeStored(into writer: inout JSONWriter) {
        Self.writeStored(classification: classification, routing: routing, into: &writer)
    }

    /// `writeStored` from the two parts it writes, without building an explanation first (which
    /// copies both): what `InquiryDecider.decide` calls for every message.
    public static func writeStored(classification: Classification?, routing: RoutingDecision,
                                   into writer: inout JSONWriter) {
        writer.beginObject()
        writeDecisionFields(classification: classification, routing: routing, into: &writer, stored: true)
        writer.endObject()
    }

    /// No `features` key when none were named (the ingest path does not name them: see
    /// `InquiryDecider.decide`), so that a reader can tell "not named" from "none".
    private static func writeFeatures(_ features: [FeatureContribution], into w: inout JSONWriter) {
        guard !features.isEmpty else { return }
        w.key(static: "features")
        w.beginArray()
        for feature in features { feature.writeDescription(into: &w) }
        w.endArray()
    }

    /// `stored`: leave out what `expandStored` can put back (see `writeStored`).
    ///
    /// Written with `beginObject`/`endObject` rather than `object { w in … }`: this runs for every
    /// message, and each closure would copy the values it captures (retaining every string and
    /// array in them) where these calls only read them.
    private static func writeDecisionFields(classification: Classification?, routing: RoutingDecision,
                                            into w: inout JSONWriter, stored: Bool) {
        if let classification {
            w.key(static: "classification")
            w.beginObject()
            if !stored {
                w.field(static: "type", classification.type.rawValue)
                w.field(static: "confidence", classification.confidence)
            }
            switch classification.decidedBy {
            case .rule(let id, let matched):
                w.field(static: "decided_by", "rule")
                w.field(static: "rule", id)
                w.field(static: "matched", matched)
            case .model(let features):
                w.field(static: "decided_by", "model")
                writeFeatures(features, into: &w)
            case .belowThreshold(let original, let features):
                w.field(static: "decided_by", "below_threshold")
                w.field(static: "original", original.rawValue)
                writeFeatures(features, into: &w)
            }
            w.key(static: "runner_ups")
            w.beginArray()
            for runner in classification.runnerUps {
                w.beginObject()
                w.field(static: "type", runner.type.rawValue)
                w.field(static: "score", runner.score)
                w.endObject()
            }
            w.endArray()
            let frustration = classification.frustration
            if !stored || frustration.score != 0 || frustration.repeatedContact || !frustration.cues.isEmpty {
                w.key(static: "frustration")
                w.beginObject()
                if !stored || frustration.score != 0 { w.field(static: "score", frustration.score) }
                if frustration.repeatedContact { w.field(static: "repeated_contact", true) }
                w.list(static: "cues", frustration.cues, always: !stored) { w, cue in w.value(cue) }
                w.endObject()
            }
            w.endObject()
        }
        let matrix = routing.explanation
        w.key(static: "matrix")
        w.beginObject()
        w.field(static: "matched_rule", matrix.matchedRule)
        if let index = matrix.matchedIndex { w.field(static: "matched_index", index) } else if !stored { w.key(static: "matched_index"); w.nullValue() }
        w.list(static: "held", matrix.heldConditions, always: !stored) { w, condition in w.value(condition) }
        w.list(static: "skipped", matrix.skipped, always: !stored) { w, skipped in
            w.beginObject()
            w.field(static: "rule", skipped.ruleID)
            w.field(static: "index", skipped.index)
            w.list(static: "reasons", skipped.misses, always: true) { w, miss in w.value(miss.description) }
            w.endObject()
        }
        w.list(static: "notes", matrix.notes, always: !stored) { w, note in w.value(note) }
        w.endObject()

        w.key(static: "decision")
        w.beginObject()
        if !stored {
            w.field(static: "queue", routing.queue)
            w.field(static: "priority", routing.priority)
        }
        w.list(static: "skills", routing.requiredSkills, always: !stored) { w, skill in w.value(skill.description) }
        w.field(static: "response_channel", routing.response.channel.rawValue)
        if !stored || routing.response.isPublic { w.field(static: "response_public", routing.response.isPublic) }
        if let answer = routing.autoAnswer { w.field(static: "auto_answer", answer) }
        w.field(static: "creates_task", routing.createsTask)
        if !stored || routing.suppressSales { w.field(static: "suppress_sales", routing.suppressSales) }
        if let cost = routing.cost { w.field(static: "cost", cost) }
        w.list(static: "escalation", routing.escalation, always: !stored) { w, step in w.value(step.description) }
        w.endObject()
    }
}

private extension JSONWriter {
    /// `name: [elements]`, or nothing when the list is empty and `always` is false.
    mutating func list<Element>(static name: StaticString, _ elements: [Element], always: Bool,
                                _ write: (inout JSONWriter, Element) -> Void) {
        guard always || !elements.isEmpty else { return }
        key(static: name)
        beginArray()
        for element in elements { write(&self, element) }
        endArray()
    }
}
