extension DecisionExplanation {
    /// The message's own columns that `writeStored` does not repeat in the stored JSON.
    public struct StoredColumns: Sendable {
        public var inquiryType: String
        public var confidence: Double
        public var queue: String?
        public var priority: Int?

        public init(inquiryType: String, confidence: Double, queue: String?, priority: Int?) {
            self.inquiryType = inquiryType
            self.confidence = confidence
            self.queue = queue
            self.priority = priority
        }
    }

    /// The whole decision document from what `writeStored` kept and the message's columns: every
    /// key `write` would give, in its order, with the defaults `writeStored` left out put back.
    /// A decision stored whole (before the stored form was made small) comes back as it was; keys
    /// this version does not know are kept, after the known ones; bytes that do not parse as a
    /// JSON object are returned unchanged (a reader shows what is there rather than nothing).
    public static func expandStored(_ details: [UInt8], columns: StoredColumns) -> [UInt8] {
        guard case .object(let stored)? = try? JSONParser().parse(details) else { return details }
        var whole = JSONObject()
        for section in StoredTemplate.sections(columns) {
            if let value = section.fill(stored[section.key]) { whole[section.key] = value }
        }
        for member in stored where whole[member.key] == nil { whole[member.key] = member.value }
        return JSONValue.object(whole).serialized()
    }
}

/// The shape of the whole decision document, key by key, with what `writeStored` leaves out.
private struct StoredTemplate {
    enum Fill {
        /// Written only when there is something to say (a rule id, an automatic answer, a cost).
        case optional
        /// Left out when it equals this value.
        case value(JSONValue)
        /// An object whose own keys follow their template; `whenMissing` decides whether a missing
        /// object is put back (with its defaults) or stays missing.
        case object([StoredTemplate], whenMissing: Bool)
    }

    let key: String
    let fill: Fill

    init(_ key: String, _ fill: Fill) {
        self.key = key
        self.fill = fill
    }

    /// The value for this key: the stored one (its own keys filled in, for an object), else the default.
    func fill(_ stored: JSONValue?) -> JSONValue? {
        switch fill {
        case .optional:
            return stored
        case .value(let value):
            return stored ?? value
        case .object(let fields, let whenMissing):
            let object: JSONObject
            switch stored {
            case .object(let present)?: object = present
            case nil where whenMissing: object = JSONObject()
            default: return stored
            }
            var whole = JSONObject()
            for field in fields {
                if let value = field.fill(object[field.key]) { whole[field.key] = value }
            }
            for member in object where whole[member.key] == nil { whole[member.key] = member.value }
            return .object(whole)
        }
    }

    static func sections(_ columns: DecisionExplanation.StoredColumns) -> [StoredTemplate] {
        let empty = Fill.value(.array([]))
        return [
            // No classification at all means the message was routed without one: it stays out.
            StoredTemplate("classification", .object([
                StoredTemplate("type", .value(.string(columns.inquiryType))),
                StoredTemplate("confidence", .value(.double(columns.confidence))),
                StoredTemplate("decided_by", .optional),
                StoredTemplate("rule", .optional),
                StoredTemplate("matched", .optional),
                StoredTemplate("original", .optional),
                StoredTemplate("features", .optional),
                StoredTemplate("features_recomputed", .optional),
                StoredTemplate("runner_ups", empty),
                StoredTemplate("frustration", .object([
                    StoredTemplate("score", .value(.double(0))),
                    StoredTemplate("repeated_contact", .optional),
                    StoredTemplate("cues", empty),
                ], whenMissing: true)),
            ], whenMissing: false)),
            StoredTemplate("matrix", .object([
                StoredTemplate("matched_rule", .optional),
                StoredTemplate("matched_index", .value(.null)),
                StoredTemplate("held", empty),
                StoredTemplate("skipped", empty),
                StoredTemplate("notes", empty),
            ], whenMissing: true)),
            StoredTemplate("decision", .object([
                StoredTemplate("queue", columns.queue.map { .value(.string($0)) } ?? .optional),
                StoredTemplate("priority", columns.priority.map { .value(.int(Int64($0))) } ?? .optional),
                StoredTemplate("skills", empty),
                StoredTemplate("response_channel", .optional),
                StoredTemplate("response_public", .value(.bool(false))),
                StoredTemplate("auto_answer", .optional),
                StoredTemplate("creates_task", .optional),
                StoredTemplate("suppress_sales", .value(.bool(false))),
                StoredTemplate("cost", .optional),
                StoredTemplate("escalation", empty),
            ], whenMissing: true)),
        ]
    }
}
