import Foundation
import SwitchboardCore

/// Turns an inbound message into its `MessageDecision` before it is stored: the classifier's
/// inquiry type (rules first, then the model), then the channel-mapping matrix's queue,
/// priority, response channel, SLA targets and automatic answer, with every reason kept as JSON
/// for `switchboard explain` (`DecisionExplanation.writeStored`: what the message's own columns
/// hold is not repeated). Built from the configuration at start and on reload; runs on the
/// ingesting thread (an event loop or an adapter's poller), never on the store's writer.
struct InquiryDecider: Sendable {
    let classifier: Classifier
    let matrix: ChannelMatrix

    init(settings: ClassifierSettings, routing: RoutingConfiguration) throws {
        let model = try settings.modelPath.map(ClassifierModel.load(path:)) ?? ClassifierModel.shippedDefault
        classifier = try Classifier(configuration: settings.configuration, model: model)
        matrix = ChannelMatrix(configuration: routing)
    }

    /// `recentContactCount`: the sender's messages within the repeated-contact window, this one
    /// included (`RecentContacts.record`); 0 when deciding a stored message again.
    ///
    /// The stored reasons leave out the model's strongest features: naming them (and writing them)
    /// was a fifth of the cost of deciding, on the path of every acknowledgement. They are a
    /// function of the text and the model, so `withFeatures` names them when someone asks.
    func decide(_ message: InboundMessage, now: Date = Date(), recentContactCount: Int = 0) -> MessageDecision {
        let classification = classifier.classify(message, recentContactCount: recentContactCount, namingFeatures: false)
        let input = RoutingInput(classification: classification, channel: message.channel,
                                 isPublicPost: Self.isPublicPost(message), contact: Self.profile(message), time: now)
        let routing = matrix.route(input)
        var writer = JSONWriter(capacity: 1024)
        DecisionExplanation.writeStored(classification: classification, routing: routing, into: &writer)
        return MessageDecision(inquiryType: classification.type.rawValue, confidence: classification.confidence,
                               queue: routing.queue, priority: routing.priority, details: writer.bytes,
                               routing: routing, classification: classification)
    }

    /// The stored reasons `details` of `message` with the model's strongest features named, as
    /// `explain` and the message API show them: recomputed from the message's text with the
    /// running model (`features_recomputed: true`; a model changed since the message arrived may
    /// name other features). Decisions by an admin rule, and decisions stored with their features
    /// (before this was lazy), come back unchanged.
    func withFeatures(_ details: [UInt8], message: InboundMessage) -> [UInt8] {
        guard case .object(var root)? = try? JSONParser().parse(details),
              case .object(var stored)? = root["classification"],
              let decidedBy = stored["decided_by"]?.stringValue, decidedBy == "model" || decidedBy == "below_threshold",
              stored["features"] == nil
        else { return details }
        let features: [FeatureContribution]
        switch classifier.classify(message).decidedBy {
        case .model(let top), .belowThreshold(_, let top): features = top
        case .rule: features = []
        }
        stored["features"] = .array(features.map { .string($0.description) })
        stored["features_recomputed"] = .bool(true)
        root["classification"] = .object(stored)
        return JSONValue.object(root).serialized()
    }

    /// A social post is public unless its adapter marked it a direct message.
    static func isPublicPost(_ message: InboundMessage) -> Bool {
        guard message.channel == .social else { return false }
        return message.metadata["visibility"].map { $0 != "direct" } ?? true
    }

    /// What the matrix may know about the customer from the message itself: the attributes the
    /// source sent, the preferred channel and opt-outs when it said so.
    static func profile(_ message: InboundMessage) -> ContactProfile {
        let attributes = message.contactAttributes
        let preferred = attributes["preferred_channel"].flatMap(Channel.init(rawValue:))
        var optedOut: Set<Channel> = []
        if attributes["sms_opt_out"] == "true" { optedOut.insert(.sms) }
        return ContactProfile(attributes: attributes, preferredChannel: preferred, optedOut: optedOut)
    }
}
