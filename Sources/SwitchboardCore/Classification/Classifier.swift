/// The classifier's part of the configuration: the taxonomy, the admins' rules, the confidence
/// below which a message goes to `other`, and the frustration tuning.
public struct ClassifierConfiguration: Sendable, Hashable, Codable {
    /// The inquiry types routing knows. Must contain `other`. Model labels outside this list
    /// count as `other`.
    public var types: [InquiryType]
    public var rules: [ClassificationRule]
    /// A model verdict with a lower probability becomes `other` (the general queue).
    public var confidenceThreshold: Double
    /// How many runner-up types a classification lists.
    public var runnerUpCount: Int
    /// How many features an explanation lists.
    public var explanationFeatureCount: Int
    public var frustration: FrustrationOptions
    /// A model file to use instead of the shipped default; the daemon loads it (the core does no
    /// I/O) and passes the model to `Classifier.init`.
    public var modelPath: String?

    public init(types: [InquiryType] = InquiryType.defaultTaxonomy, rules: [ClassificationRule] = [],
                confidenceThreshold: Double = Classifier.defaultConfidenceThreshold, runnerUpCount: Int = 2,
                explanationFeatureCount: Int = 5, frustration: FrustrationOptions = FrustrationOptions(),
                modelPath: String? = nil)
    {
        self.types = types
        self.rules = rules
        self.confidenceThreshold = confidenceThreshold
        self.runnerUpCount = runnerUpCount
        self.explanationFeatureCount = explanationFeatureCount
        self.frustration = frustration
        self.modelPath = modelPath
    }

    /// Every member is optional in JSON; missing ones take the defaults above.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ClassifierConfiguration()
        types = try container.decodeIfPresent([InquiryType].self, forKey: .types) ?? defaults.types
        rules = try container.decodeIfPresent([ClassificationRule].self, forKey: .rules) ?? []
        confidenceThreshold = try container.decodeIfPresent(Double.self, forKey: .confidenceThreshold)
            ?? defaults.confidenceThreshold
        runnerUpCount = try container.decodeIfPresent(Int.self, forKey: .runnerUpCount) ?? defaults.runnerUpCount
        explanationFeatureCount = try container.decodeIfPresent(Int.self, forKey: .explanationFeatureCount)
            ?? defaults.explanationFeatureCount
        frustration = try container.decodeIfPresent(FrustrationOptions.self, forKey: .frustration) ?? FrustrationOptions()
        modelPath = try container.decodeIfPresent(String.self, forKey: .modelPath)
    }
}

/// Decides the inquiry type of a message: admin rules first, then the statistical model, then
/// the confidence threshold; and measures frustration. `classify` is a pure function of its
/// arguments: build one `Classifier` per configuration and share it between threads.
public struct Classifier: Sendable {
    public static let defaultConfidenceThreshold = 0.4

    public let configuration: ClassifierConfiguration
    public let model: ClassifierModel?
    private let rules: CompiledRules
    private let frustration: FrustrationDetector
    private let types: [InquiryType]
    private let otherIndex: Int
    /// Model output label → index in `types`.
    private let typeOfOutput: [Int]

    /// Validates the configuration (rule ids unique, rule types in the taxonomy, patterns valid,
    /// threshold in 0…1). `model` defaults to the model shipped in the binary; nil means rules
    /// only.
    public init(configuration: ClassifierConfiguration = ClassifierConfiguration(),
                model: ClassifierModel? = ClassifierModel.shippedDefault) throws
    {
        var types: [InquiryType] = []
        for type in configuration.types where !types.contains(type) { types.append(type) }
        guard let otherIndex = types.firstIndex(of: .other) else {
            throw ClassifierError(code: "classifier.no-other", place: "classifier.types",
                                  hint: "the taxonomy must contain \"other\", the general queue")
        }
        guard (0...1).contains(configuration.confidenceThreshold) else {
            throw ClassifierError(code: "classifier.threshold", place: "classifier.confidenceThreshold",
                                  hint: "must be between 0 and 1 (got \(configuration.confidenceThreshold))")
        }
        var ids = Set<String>()
        for (index, rule) in configuration.rules.enumerated() {
            let place = "classifier.rules[\(index)]"
            guard !rule.id.isEmpty else {
                throw ClassifierError(code: "rule.no-id", place: place, hint: "every rule needs an id")
            }
            guard ids.insert(rule.id).inserted else {
                throw ClassifierError(code: "rule.duplicate-id", place: "\(place) (\(rule.id))",
                                      hint: "rule ids must be unique")
            }
            guard types.contains(rule.type) else {
                throw ClassifierError(code: "rule.unknown-type", place: "\(place) (\(rule.id))",
                                      hint: "type \"\(rule.type)\" is not in classifier.types")
            }
            guard !rule.phrases.isEmpty || !rule.patterns.isEmpty else {
                throw ClassifierError(code: "rule.empty", place: "\(place) (\(rule.id))",
                                      hint: "a rule needs at least one phrase or pattern")
            }
        }
        self.configuration = configuration
        self.model = model
        self.types = types
        self.otherIndex = otherIndex
        self.rules = try CompiledRules(configuration.rules)
        self.frustration = FrustrationDetector(options: configuration.frustration)
        self.typeOfOutput = (model?.outputLabels ?? []).map { label in
            types.firstIndex(of: InquiryType(label)) ?? otherIndex
        }
    }

    /// Classifies an inbound message. `recentContactCount` is how many messages the contact sent
    /// in the recent past (the router knows; the text does not). With `namingFeatures: false`
    /// the model's strongest features are not named (`decidedBy` carries none): the ingest path
    /// stores decisions without them and `explain` names them later (`InquiryDecider.withFeatures`).
    public func classify(_ message: InboundMessage, recentContactCount: Int = 0, namingFeatures: Bool = true) -> Classification {
        classify(text: message.text, subject: message.subject, channel: message.channel,
                 recentContactCount: recentContactCount, namingFeatures: namingFeatures)
    }

    public func classify(text: String, subject: String? = nil, channel: Channel = .other,
                         recentContactCount: Int = 0, namingFeatures: Bool = true) -> Classification
    {
        let prepared = TextPreparation.prepare(text: text, subject: subject, channel: channel)
        let tokens = MessageTokenizer.tokenize(prepared)
        let frustrationSignal = frustration.detect(tokens, recentContactCount: recentContactCount)

        var probabilities = [Double](repeating: 0, count: types.count)
        var prediction: ModelPrediction? = nil
        var occurrences: [ScoredOccurrence] = []
        if let model {
            let predicted = model.predict(tokens: tokens, occurrences: &occurrences)
            for (output, probability) in predicted.probabilities.enumerated() {
                probabilities[typeOfOutput[output]] += probability
            }
            prediction = predicted
        }

        if let (rule, matched) = rules.firstMatch(tokens: tokens, text: prepared, channel: channel) {
            return Classification(type: rule.type, confidence: 1,
                                  runnerUps: runnerUps(probabilities, excluding: rule.type),
                                  frustration: frustrationSignal, decidedBy: .rule(id: rule.id, matched: matched))
        }
        guard let model, let prediction else {
            return Classification(type: .other, confidence: 0, runnerUps: [], frustration: frustrationSignal,
                                  decidedBy: .belowThreshold(original: .other, topFeatures: []))
        }
        var best = 0
        for index in probabilities.indices where probabilities[index] > probabilities[best] { best = index }
        let type = types[best]
        let confidence = probabilities[best]
        // Explain with the fine class behind the winning type.
        var explainingClass = prediction.fineClass
        if typeOfOutput[model.outputOfClass[explainingClass]] != best {
            var bestScore = -Float.infinity
            for index in 0..<model.classCount where typeOfOutput[model.outputOfClass[index]] == best
                && prediction.scores[index] > bestScore
            {
                bestScore = prediction.scores[index]
                explainingClass = index
            }
        }
        let topFeatures = model.topFeatures(tokens: tokens, occurrences: occurrences, fineClass: explainingClass,
                                            limit: namingFeatures ? configuration.explanationFeatureCount : 0)
        if confidence < configuration.confidenceThreshold && best != otherIndex {
            return Classification(type: .other, confidence: confidence,
                                  runnerUps: runnerUps(probabilities, excluding: .other), frustration: frustrationSignal,
                                  decidedBy: .belowThreshold(original: type, topFeatures: topFeatures))
        }
        return Classification(type: type, confidence: confidence, runnerUps: runnerUps(probabilities, excluding: type),
                              frustration: frustrationSignal, decidedBy: .model(topFeatures: topFeatures))
    }

    /// The most probable types other than `excluded`, best first, with a non-zero probability.
    ///
    /// Kept best-first by insertion as they come: the list sorting them all and keeping the first
    /// `runnerUpCount` would give (`ranksAbove` is a total order, types being unique), without
    /// that sort and the arrays it grew and cut on every message.
    private func runnerUps(_ probabilities: [Double], excluding excluded: InquiryType) -> [ScoredType] {
        let count = configuration.runnerUpCount
        guard count > 0 else { return [] }
        var result: [ScoredType] = []
        result.reserveCapacity(min(count, types.count) + 1)
        for index in probabilities.indices where types[index] != excluded && probabilities[index] > 0 {
            let candidate = ScoredType(type: types[index], score: probabilities[index])
            var position = result.count
            while position > 0 && Self.ranksAbove(candidate, result[position - 1]) { position -= 1 }
            guard position < count else { continue }
            result.insert(candidate, at: position)
            if result.count > count { result.removeLast() }
        }
        return result
    }

    /// Higher probability first; equal ones by type name.
    private static func ranksAbove(_ a: ScoredType, _ b: ScoredType) -> Bool {
        a.score > b.score || (a.score == b.score && a.type < b.type)
    }

    /// The full set of type probabilities for a text, best first (no rules, no threshold): for
    /// `switchboard classify` and for admins tuning the threshold.
    public func typeProbabilities(text: String, subject: String? = nil, channel: Channel = .other) -> [ScoredType] {
        guard let model else { return [] }
        let prepared = TextPreparation.prepare(text: text, subject: subject, channel: channel)
        let predicted = model.predict(tokens: MessageTokenizer.tokenize(prepared))
        var probabilities = [Double](repeating: 0, count: types.count)
        for (output, probability) in predicted.probabilities.enumerated() {
            probabilities[typeOfOutput[output]] += probability
        }
        return zip(types, probabilities).map { ScoredType(type: $0, score: $1) }
            .sorted(by: Self.ranksAbove)
    }
}
