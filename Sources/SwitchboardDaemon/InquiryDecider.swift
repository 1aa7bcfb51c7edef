import Foundation
import SwitchboardCore

/// Turns an inbound message into its `MessageDecision` before it is stored: the classifier's
/// inquiry type with its confidence, runner-ups, frustration and what decided it. Built from the
/// configuration at start and on reload; runs on the ingesting thread (an event loop or an
/// adapter's poller), never on the store's writer.
struct InquiryDecider: Sendable {
    let classifier: Classifier

    init(settings: ClassifierSettings) throws {
        let model = try settings.modelPath.map(ClassifierModel.load(path:)) ?? ClassifierModel.shippedDefault
        classifier = try Classifier(configuration: settings.configuration, model: model)
    }

    func decide(_ message: InboundMessage) -> MessageDecision {
        let c = classifier.classify(message)
        return MessageDecision(inquiryType: c.type.rawValue, confidence: c.confidence, details: Self.details(c))
    }

    /// The classification as stored with the message and shown by `switchboard explain`.
    static func details(_ c: Classification) -> JSONValue {
        var runnerUps: [JSONValue] = []
        for r in c.runnerUps { runnerUps.append(["type": .string(r.type.rawValue), "score": .double(r.score)]) }
        var cues: [JSONValue] = []
        for cue in c.frustration.cues { cues.append(.string(cue)) }
        let frustration: JSONValue = [
            "score": .double(c.frustration.score), "angry": .double(c.frustration.angry),
            "urgent": .double(c.frustration.urgent), "repeated_contact": .bool(c.frustration.repeatedContact),
            "frustrated": .bool(c.frustration.isFrustrated), "cues": .array(cues),
        ]
        let decidedBy: JSONValue
        switch c.decidedBy {
        case .rule(let id, let matched): decidedBy = ["rule": .string(id), "matched": .string(matched)]
        case .model: decidedBy = ["model": .string(c.decidedBy.summary)]
        case .belowThreshold(let original, _): decidedBy = ["below_threshold": .string(original.rawValue), "summary": .string(c.decidedBy.summary)]
        }
        return ["classification": [
            "type": .string(c.type.rawValue), "confidence": .double(c.confidence), "runner_ups": .array(runnerUps),
            "frustration": frustration, "decided_by": decidedBy, "explanation": .string(c.decidedBy.summary),
        ]]
    }
}
