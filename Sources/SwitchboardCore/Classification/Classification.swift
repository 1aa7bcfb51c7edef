/// The classifier's verdict on one inbound message: what it is about, how sure the classifier
/// is, what came next, how frustrated the customer sounds, and why. Stored with the message and
/// shown to agents and admins, so every field is plain data.
public struct Classification: Sendable, Hashable, Codable {
    /// The type the router uses: a rule's type, the model's best type, or `other` when the model
    /// was not confident enough.
    public var type: InquiryType
    /// 0…1. A rule decides with confidence 1; the model's confidence is its probability for
    /// the type it chose (summed over fine intents when the model maps them to coarse types);
    /// below the threshold, the (low) probability of the type the model would have chosen.
    public var confidence: Double
    /// The next most likely types according to the model, best first, with their probabilities.
    public var runnerUps: [ScoredType]
    public var frustration: FrustrationSignal
    public var decidedBy: ClassificationDecision

    public init(type: InquiryType, confidence: Double, runnerUps: [ScoredType],
                frustration: FrustrationSignal, decidedBy: ClassificationDecision) {
        self.type = type
        self.confidence = confidence
        self.runnerUps = runnerUps
        self.frustration = frustration
        self.decidedBy = decidedBy
    }
}

/// An inquiry type with the model's probability for it.
public struct ScoredType: Sendable, Hashable, Codable {
    public var type: InquiryType
    public var score: Double

    public init(type: InquiryType, score: Double) {
        self.type = type
        self.score = score
    }
}

/// Why a classification came out the way it did: the explanation admins read when a message
/// lands in the wrong queue.
public enum ClassificationDecision: Sendable, Hashable, Codable {
    /// An admin rule matched; `matched` is the phrase or the text the pattern matched.
    case rule(id: String, matched: String)
    /// The statistical model decided; the features that pushed hardest towards its choice.
    case model(topFeatures: [FeatureContribution])
    /// The model's best type (`original`) scored below the configured confidence threshold, so
    /// the message goes to `other`.
    case belowThreshold(original: InquiryType, topFeatures: [FeatureContribution])

    /// The id of the rule that decided, if a rule did.
    public var ruleID: String? {
        if case .rule(let id, _) = self { return id }
        return nil
    }

    /// One line for admins: `rule gdpr-request (matched "delete my data")`,
    /// `model: word:refund (+0.210), words:charged twice (+0.120)`,
    /// `below threshold (model said billing): …`.
    public var summary: String {
        switch self {
        case .rule(let id, let matched):
            return "rule \(id) (matched \"\(matched)\")"
        case .model(let features):
            return "model: " + (features.isEmpty ? "no known features" : features.map(\.description).joined(separator: ", "))
        case .belowThreshold(let original, let features):
            return "below threshold (model said \(original)): "
                + (features.isEmpty ? "no known features" : features.map(\.description).joined(separator: ", "))
        }
    }
}

extension Classification: CustomStringConvertible {
    /// What `switchboard classify` prints.
    public var description: String {
        var lines = ["type        \(type)", "confidence  \(String(classifierDecimal: confidence))"]
        if !runnerUps.isEmpty {
            lines.append("runner-ups  " + runnerUps.map { "\($0.type) \(String(classifierDecimal: $0.score))" }
                .joined(separator: ", "))
        }
        lines.append("decided by  \(decidedBy.summary)")
        var frustrationLine = "frustration \(String(classifierDecimal: frustration.score))"
            + " (angry \(String(classifierDecimal: frustration.angry)), urgent \(String(classifierDecimal: frustration.urgent))"
            + (frustration.repeatedContact ? ", repeated contact" : "") + ")"
        if !frustration.cues.isEmpty { frustrationLine += ": " + frustration.cues.joined(separator: ", ") }
        lines.append(frustrationLine)
        return lines.joined(separator: "\n")
    }
}

/// One feature of a message and how much it added to the winning type's score.
public struct FeatureContribution: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Human-readable: `word:refund`, `words:my order`, `chars:fund`.
    public var feature: String
    public var weight: Double

    public init(feature: String, weight: Double) {
        self.feature = feature
        self.weight = weight
    }

    public var description: String {
        "\(feature) (\(weight >= 0 ? "+" : "")\(String(classifierDecimal: weight)))"
    }
}

extension FeatureContribution {
    /// Writes `description` as a JSON string value without building the string first: every
    /// stored decision holds several (`DecisionExplanation.writeStored`, on the ingest path).
    func writeDescription(into w: inout JSONWriter) {
        w.separate()
        w.bytes.append(UInt8(ascii: "\""))
        var name = feature
        name.withUTF8 { w.appendEscaped($0) }
        w.bytes.append(UInt8(ascii: " "))
        w.bytes.append(UInt8(ascii: "("))
        if weight >= 0 { w.bytes.append(UInt8(ascii: "+")) }
        // As String(classifierDecimal:): three decimals, the sign of the rounded value.
        let scaled = (weight * 1000).rounded()
        if scaled < 0 { w.bytes.append(UInt8(ascii: "-")) }
        let magnitude = Int(abs(scaled))
        w.appendInteger(Int64(magnitude / 1000))
        w.bytes.append(UInt8(ascii: "."))
        let fraction = magnitude % 1000
        w.bytes.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        w.bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        w.bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
        w.bytes.append(UInt8(ascii: ")"))
        w.bytes.append(UInt8(ascii: "\""))
        w.needsComma = true
    }
}

extension String {
    /// Three decimals without Foundation's locale-dependent formatting.
    init(classifierDecimal value: Double) {
        let scaled = (value * 1000).rounded()
        let sign = scaled < 0 ? "-" : ""
        let magnitude = Int(abs(scaled))
        let fraction = magnitude % 1000
        let padded = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        self = "\(sign)\(magnitude / 1000).\(padded)"
    }
}
