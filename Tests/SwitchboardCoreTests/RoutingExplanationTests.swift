import Foundation
import Testing
@testable import SwitchboardCore

@Suite struct RoutingExplanationTests {
    func sampleExplanation() throws -> DecisionExplanation {
        let configuration = try routingConfiguration(sampleRoutingJSON)
        let matrix = ChannelMatrix(configuration: configuration)
        let classification = Classification(
            type: .billing, confidence: 0.87, runnerUps: [ScoredType(type: .cancellation, score: 0.08)],
            frustration: FrustrationSignal(angry: 0.45, score: 0.36, cues: ["angry:ridiculous"]),
            decidedBy: .model(topFeatures: [FeatureContribution(feature: "word:invoice", weight: 1.25)]))
        let decision = matrix.route(RoutingInput(messageID: "msg_1", classification: classification, channel: .email,
                                                 contact: ContactProfile(attributes: ["tier": "silver"]), time: openTime))
        var engine = AssignmentEngine(configuration: RoutingConfiguration(
            skills: ["billing"], queues: configuration.queues,
            agents: [AgentDefinition(id: "anna", skills: ["billing": 2], capacity: [.email: 5]),
                     AgentDefinition(id: "bob", skills: ["billing": 1], capacity: [.email: 5]),
                     AgentDefinition(id: "carl", skills: [:], capacity: [.email: 5])],
            defaultActions: RuleActions(queue: "general"), offers: OfferSettings(autoAcceptChannels: [.email])))
        _ = engine.agentStatusChanged("anna", to: .available, now: openTime.addingTimeInterval(-600))
        _ = engine.agentStatusChanged("bob", to: .away, now: openTime.addingTimeInterval(-600))
        let actions = engine.taskArrived(TaskRequest(id: "msg_1", decision: decision, arrival: openTime), now: openTime)
        guard case .assign(_, _, let selection)? = actions.first else { throw RoutingConfigurationError(issues: []) }
        var tracker = SLATracker(targets: decision.sla, calendar: configuration.calendar(forQueue: decision.queue), start: openTime)
        tracker.agentResponded(at: openTime.addingTimeInterval(1500), awaitingCustomer: false)
        return DecisionExplanation(messageID: "msg_1", classification: classification, routing: decision, assignment: selection,
                                   sla: tracker, asOf: openTime.addingTimeInterval(3600))
    }

    @Test func textSaysWhatHappenedAndWhy() throws {
        let text = try sampleExplanation().text
        #expect(text == """
        Message msg_1
          arrived 2025-03-11T10:00:00Z on email

        Classification: billing (confidence 0.87)
          decided by the model; strongest features: word:invoice (+1.250)
          next most likely: cancellation 0.08
          frustration 0.36 (angry:ridiculous)

        Matrix: rule billing (matrix.rules[5]) matched
          rule public-account (rules[0]) did not match: type billing is not one of account_access; channel email is not one of social; the message is not a public post
          rule vip (rules[1]) did not match: tier silver is not one of gold, platinum
          rule angry (rules[2]) did not match: frustration 0.36 is outside 0.80…1.00
          rule info-self-service (rules[3]) did not match: type billing is not one of information
          rule spanish-billing (rules[4]) did not match: the contact has no language (wanted one of es)
          rule billing matched because type billing is one of billing

        Decision: queue billing, priority 10, skills billing
          answer on email, cost 1.50
          escalation: after 10m: raise priority by 5
          escalation: when no agent is available: move to queue general

        Agent: anna (queue billing, strategy longest_idle)
          why: idle since 2025-03-11T09:50:00Z: the longest idle of 1 agent who could take it
          2 agents have the skills and the channel; 1 does not
          1 not available: bob: away

        SLA as of 2025-03-11T11:00:00Z:
          first_response: met, 25m00s of 4h00m business time (calendar office)
            2025-03-11T10:00:00Z started, 2025-03-11T10:25:00Z met
          resolution: running, 1h00m of 2d business time (calendar office), due 2025-03-18T08:00:00Z
            2025-03-11T10:00:00Z started
        """)
    }

    @Test func jsonCarriesTheSameFacts() throws {
        let json = try JSONParser().parse(try sampleExplanation().json)
        #expect(json["message_id"] == "msg_1")
        #expect(json["classification"]?["decided_by"] == "model")
        #expect(json["matrix"]?["matched_rule"] == "billing")
        #expect(json["matrix"]?["skipped"]?.arrayValue?.count == 5)
        #expect(json["matrix"]?["skipped"]?[1]?["reasons"]?[0] == "tier silver is not one of gold, platinum")
        #expect(json["decision"]?["queue"] == "billing")
        #expect(json["decision"]?["response_public"] == false)
        #expect(json["assignment"]?["agent"] == "anna")
        #expect(json["assignment"]?["passed_over"]?[0]?["agent"] == "bob")
        #expect(json["sla"]?[0]?["state"] == "met")
        #expect(json["sla"]?[1]?["deadline"] == "2025-03-18T08:00:00.000Z")
    }
}
