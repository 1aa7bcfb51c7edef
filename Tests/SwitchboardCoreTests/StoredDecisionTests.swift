import Foundation
import Testing
@testable import SwitchboardCore

/// The small stored decision (`writeStored`) and its expansion (`expandStored`): what a reader
/// gets back is, byte for byte, the decision part of the whole explanation.
@Suite struct StoredDecisionTests {
    /// The decision keys of the whole explanation JSON, in its order.
    func wholeDecision(_ explanation: DecisionExplanation) throws -> [UInt8] {
        var whole = try #require(try JSONParser().parse(explanation.json).objectValue)
        for key in ["message_id", "input", "assignment", "sla", "as_of"] { whole.removeValue(forKey: key) }
        return JSONValue.object(whole).serialized()
    }

    func stored(_ explanation: DecisionExplanation) -> [UInt8] {
        var writer = JSONWriter()
        explanation.writeStored(into: &writer)
        return writer.bytes
    }

    func columns(_ explanation: DecisionExplanation) -> DecisionExplanation.StoredColumns {
        .init(inquiryType: explanation.classification?.type.rawValue ?? "", confidence: explanation.classification?.confidence ?? 0,
              queue: explanation.routing.queue, priority: explanation.routing.priority)
    }

    func explanation(_ classification: Classification, channel: Channel = .email, publicPost: Bool = false,
                     attributes: [String: String] = [:], time: Date = openTime,
                     routing json: String = sampleRoutingJSON) throws -> DecisionExplanation {
        let matrix = ChannelMatrix(configuration: try routingConfiguration(json))
        let routing = matrix.route(RoutingInput(classification: classification, channel: channel, isPublicPost: publicPost,
                                                contact: ContactProfile(attributes: attributes), time: time))
        return DecisionExplanation(messageID: "", classification: classification, routing: routing,
                                   assignment: nil, sla: nil, asOf: time)
    }

    @Test func aCalmDecisionByTheDefaultRuleLeavesOutEveryDefault() throws {
        let calm = try explanation(Classification(type: "other", confidence: 0.41, runnerUps: [],
                                                  frustration: FrustrationSignal(), decidedBy: .model(topFeatures: [])),
                                   routing: #"{"queues": {"general": {}}, "matrix": {"default": {"queue": "general"}}}"#)
        let text = String(decoding: stored(calm), as: UTF8.self)
        #expect(text == #"{"classification":{"decided_by":"model","runner_ups":[]},"matrix":{"matched_rule":"default"},"decision":{"response_channel":"email","creates_task":true}}"#)
        #expect(DecisionExplanation.expandStored(stored(calm), columns: columns(calm)) == (try wholeDecision(calm)))
    }

    @Test(arguments: 0..<8) func expandingTheStoredFormGivesTheWholeDecision(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let types: [InquiryType] = ["billing", "technical", "account_access", "information", "complaint", "other"]
        let cues = ["angry:ridiculous", "!!", "contacts:4", "urgent:asap"]
        for _ in 0..<60 {
            let score = [0, 0.36, 0.85].randomElement(using: &random)!
            let frustration = FrustrationSignal(repeatedContact: Bool.random(using: &random), score: score,
                                                cues: Array(cues.prefix(Int.random(in: 0...2, using: &random))))
            let decidedBy: ClassificationDecision = switch Int.random(in: 0..<3, using: &random) {
            case 0: .rule(id: "refund-words", matched: "refund")
            case 1: .model(topFeatures: Bool.random(using: &random) ? [FeatureContribution(feature: "word:invoice", weight: 1.25)] : [])
            default: .belowThreshold(original: "sales", topFeatures: [])
            }
            let classification = Classification(
                type: types.randomElement(using: &random)!, confidence: Double.random(in: 0...1, using: &random),
                runnerUps: Bool.random(using: &random) ? [ScoredType(type: "sales", score: 0.012345678901234)] : [],
                frustration: frustration, decidedBy: decidedBy)
            let decision = try explanation(
                classification, channel: Channel.allCases.randomElement(using: &random)!, publicPost: Bool.random(using: &random),
                attributes: Bool.random(using: &random) ? ["tier": "gold", "language": "es"] : [:],
                time: openTime.addingTimeInterval(Double(Int.random(in: 0..<48, using: &random)) * 3600))
            let small = stored(decision)
            var fromParts = JSONWriter()
            DecisionExplanation.writeStored(classification: classification, routing: decision.routing, into: &fromParts)
            #expect(fromParts.bytes == small)
            let whole = try wholeDecision(decision)
            #expect(DecisionExplanation.expandStored(small, columns: columns(decision)) == whole,
                    "\(String(decoding: small, as: UTF8.self))")
            #expect(small.count < whole.count)
            // A decision stored whole (by an earlier version) comes back unchanged.
            #expect(DecisionExplanation.expandStored(whole, columns: columns(decision)) == whole)
        }
    }

    @Test func unknownKeysAreKeptAndBytesThatAreNotAnObjectComeBackAsTheyAre() throws {
        let columns = DecisionExplanation.StoredColumns(inquiryType: "billing", confidence: 0.5, queue: "general", priority: 0)
        let later = Array(#"{"matrix":{"matched_rule":"default","weight":2},"decision":{"creates_task":false},"model":"v9"}"#.utf8)
        let expanded = try JSONParser().parse(DecisionExplanation.expandStored(later, columns: columns))
        #expect(expanded["classification"] == nil)
        #expect(expanded["matrix"]?["weight"] == 2)
        #expect(expanded["matrix"]?["held"] == .array([]))
        #expect(expanded["decision"]?["queue"] == "general")
        #expect(expanded["decision"]?["creates_task"] == false)
        #expect(expanded["model"] == "v9")
        for broken in ["", "[1]", "{\"matrix\":"] {
            #expect(DecisionExplanation.expandStored(Array(broken.utf8), columns: columns) == Array(broken.utf8))
        }
    }
}
