import Foundation
import SwitchboardCore

/// `classifier`: how inbound messages get their inquiry type (docs/classifier.md).
///
///     "classifier": {
///       "model": "models/contact-centre.sbcm",
///       "confidence_threshold": 0.4,
///       "types": ["billing", "technical", "account_access", "order_status", "information",
///                 "complaint", "sales", "cancellation", "other"],
///       "rules": [ { "id": "gdpr", "type": "account_access", "phrases": ["delete my data", "gdpr"] } ],
///       "frustration": { "repeated_contact_threshold": 3, "repeated_contact_window": "24h" }
///     }
///
/// Every key is optional: without the section the shipped model and taxonomy are used.
public struct ClassifierSettings: Sendable, Hashable {
    public var enabled: Bool
    /// A model file trained with `switchboard train`; nil = the model built into the binary.
    public var modelPath: String?
    public var configuration: ClassifierConfiguration
    /// How far back a sender's messages count towards "repeated contact" (`RecentContacts`).
    public var repeatedContactWindow: Duration
    /// The most senders the repeated-contact counter remembers (the longest silent is forgotten).
    public var maxTrackedSenders: Int

    public init(enabled: Bool = true, modelPath: String? = nil, configuration: ClassifierConfiguration = ClassifierConfiguration(),
                repeatedContactWindow: Duration = RecentContacts.defaultWindow,
                maxTrackedSenders: Int = RecentContacts.defaultCapacity) {
        self.enabled = enabled
        self.modelPath = modelPath
        self.configuration = configuration
        self.repeatedContactWindow = repeatedContactWindow
        self.maxTrackedSenders = maxTrackedSenders
    }

    static func read(_ reader: ConfigReader, context: ConfigurationContext) -> ClassifierSettings {
        var settings = ClassifierSettings()
        guard reader.value != nil else { return settings }
        settings.enabled = reader.bool("enabled", default: true)
        if let model = reader.string("model") {
            let path = context.resolve(model)
            if !FileManager.default.isReadableFile(atPath: path) {
                reader.report(.invalidValue, "model file \(path) cannot be read", hint: "train one with 'switchboard train', or leave 'model' out to use the built-in model", key: "model")
            }
            settings.modelPath = path
        }
        if let threshold = reader.value?["confidence_threshold"] {
            reader.markKnown("confidence_threshold")
            if let number = threshold.doubleValue, (0...1).contains(number) {
                settings.configuration.confidenceThreshold = number
            } else {
                reader.report(.outOfRange, "must be a number from 0 to 1, found \(threshold.compactString)",
                              hint: "below this confidence the type is 'other' (default 0.4)", key: "confidence_threshold")
            }
        }
        if let types = reader.stringList("types", allowEmptyList: false) {
            settings.configuration.types = types.map(InquiryType.init(rawValue:))
        }
        let known = Set(settings.configuration.types.map(\.rawValue))
        var seenIDs: Set<String> = []
        settings.configuration.rules = reader.objectArray("rules").compactMap { rule in
            let id = rule.string("id", required: true, hint: "each rule has an id that explanations show")
            let type = rule.string("type", required: true)
            let phrases = rule.stringList("phrases") ?? []
            let patterns = rule.stringList("patterns") ?? []
            let channels = rule.stringList("channels", allowed: Channel.allCases.map(\.rawValue))
            rule.reportUnknownKeys()
            if let type, !known.contains(type) {
                rule.report(.unknownReference, "inquiry type \"\(type)\" is not in the taxonomy",
                            hint: "known types: \(known.sorted().joined(separator: ", "))", key: "type")
            }
            if phrases.isEmpty && patterns.isEmpty {
                rule.report(.missing, "a rule needs phrases or patterns", hint: "\"phrases\": [\"refund\"] or \"patterns\": [\"order #?\\\\d{5}\"]")
            }
            for (index, pattern) in patterns.enumerated() where (try? Regex(pattern)) == nil {
                rule.report(.invalidValue, "patterns[\(index)] is not a valid regular expression", key: "patterns")
            }
            if let id {
                if !seenIDs.insert(id).inserted { rule.report(.conflict, "rule id \"\(id)\" is used twice", key: "id") }
            }
            guard let id, let type else { return nil }
            return ClassificationRule(id: id, type: InquiryType(rawValue: type), phrases: phrases, patterns: patterns,
                                      channels: channels?.compactMap(Channel.init(rawValue:)))
        }
        readFrustration(reader.object("frustration"), into: &settings)
        reader.reportUnknownKeys()
        return settings
    }

    /// `frustration`: the repeated-contact threshold and window, and a centre's own anger and
    /// urgency vocabulary (docs/classifier.md#frustration-signal).
    private static func readFrustration(_ reader: ConfigReader, into settings: inout ClassifierSettings) {
        guard reader.value != nil else { return }
        var options = settings.configuration.frustration
        options.repeatedContactThreshold = reader.int("repeated_contact_threshold", default: options.repeatedContactThreshold,
                                                      in: 1...RecentContacts.perSender)
        settings.repeatedContactWindow = reader.duration("repeated_contact_window", default: settings.repeatedContactWindow,
                                                         in: .seconds(1)...(.seconds(30 * 86_400)))
        settings.maxTrackedSenders = reader.int("max_tracked_senders", default: settings.maxTrackedSenders, in: 1...10_000_000)
        options.extraAngryPhrases = reader.stringList("extra_angry_phrases") ?? []
        options.extraUrgentPhrases = reader.stringList("extra_urgent_phrases") ?? []
        settings.configuration.frustration = options
        reader.reportUnknownKeys()
    }
}
