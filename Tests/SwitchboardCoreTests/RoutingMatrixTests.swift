import Foundation
import Testing
@testable import SwitchboardCore

/// One row of the matrix table: an input and what the decision must say.
struct MatrixCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: RoutingInput
    var rule: String
    var queue: String
    var response: ResponseChannel
    var priority: Int? = nil
    var skills: [String]? = nil
    var firstResponse: Duration? = nil
    var autoAnswer: String? = nil
    var createsTask = true
    var suppressSales = false
    var cost: Double? = nil

    var testDescription: String { name }
}

let openTime = at("2025-03-11T10:00:00Z")     // Tuesday 11:00 in Berlin
let closedTime = at("2025-03-11T19:30:00Z")   // Tuesday 20:30 in Berlin
let holidayTime = at("2025-12-25T10:00:00Z")  // Christmas, a Thursday

func input(_ type: InquiryType, _ channel: Channel, time: Date = openTime, confidence: Double = 0.9, frustration: Double = 0,
           publicPost: Bool = false, contact: ContactProfile = ContactProfile(), autoAnswered: Bool = false) -> RoutingInput {
    RoutingInput(messageID: "m1", type: type, confidence: confidence, frustration: frustration, channel: channel,
                 isPublicPost: publicPost, contact: contact, alreadyAutoAnswered: autoAnswered, time: time)
}

let matrixCases: [MatrixCase] = [
    MatrixCase(name: "type condition: billing by email", input: input(.billing, .email), rule: "billing", queue: "billing",
               response: ResponseChannel(channel: .email), priority: 10, skills: ["billing"], firstResponse: .seconds(4 * 3600), cost: 1.5),
    MatrixCase(name: "per-channel SLA: billing by chat", input: input(.billing, .chat), rule: "billing", queue: "billing",
               response: ResponseChannel(channel: .chat), firstResponse: .seconds(120)),
    MatrixCase(name: "attribute condition adds a skill: Spanish billing",
               input: input(.billing, .email, contact: ContactProfile(attributes: ["language": "es"])),
               rule: "spanish-billing", queue: "billing", response: ResponseChannel(channel: .email), skills: ["billing", "spanish"]),
    MatrixCase(name: "first match wins: a gold customer's billing question goes to vip",
               input: input(.billing, .chat, contact: ContactProfile(attributes: ["tier": "gold"], preferredChannel: .sms)),
               rule: "vip", queue: "vip", response: ResponseChannel(channel: .sms), priority: 50, cost: 0.4),
    MatrixCase(name: "preferred channel opted out falls back to the source channel",
               input: input(.technical, .chat, contact: ContactProfile(attributes: ["tier": "platinum"], preferredChannel: .sms, optedOut: [.sms])),
               rule: "vip", queue: "vip", response: ResponseChannel(channel: .chat)),
    MatrixCase(name: "attribute value not listed: silver technical chat", input: input(.technical, .chat, contact: ContactProfile(attributes: ["tier": "silver"])),
               rule: "tech-realtime", queue: "tech", response: ResponseChannel(channel: .chat), firstResponse: .seconds(60)),
    MatrixCase(name: "channel condition: technical by email is not real-time", input: input(.technical, .email),
               rule: "default", queue: "general", response: ResponseChannel(channel: .email)),
    MatrixCase(name: "frustration condition and sales suppression", input: input(.orderStatus, .email, frustration: 0.9),
               rule: "angry", queue: "general", response: ResponseChannel(channel: .email), priority: 60, suppressSales: true),
    MatrixCase(name: "confidence condition: self-service deflection", input: input(.information, .sms, confidence: 0.95),
               rule: "info-self-service", queue: "general", response: ResponseChannel(channel: .sms), autoAnswer: "store-hours",
               createsTask: false, cost: 0.05),
    MatrixCase(name: "low confidence is not deflected", input: input(.information, .sms, confidence: 0.5),
               rule: "default", queue: "general", response: ResponseChannel(channel: .sms)),
    MatrixCase(name: "a customer who writes back after an automatic answer gets a human",
               input: input(.information, .sms, confidence: 0.95, autoAnswered: true),
               rule: "info-self-service", queue: "general", response: ResponseChannel(channel: .sms), autoAnswer: nil, createsTask: true),
    MatrixCase(name: "a frustrated customer is not deflected", input: input(.information, .chat, confidence: 0.95, frustration: 0.7),
               rule: "info-self-service", queue: "general", response: ResponseChannel(channel: .chat), autoAnswer: nil, createsTask: true,
               suppressSales: true),
    MatrixCase(name: "business hours condition: closed in the evening", input: input(.orderStatus, .chat, time: closedTime),
               rule: "closed", queue: "after-hours", response: ResponseChannel(channel: .email)),
    MatrixCase(name: "business hours condition: closed on a holiday", input: input(.orderStatus, .chat, time: holidayTime),
               rule: "closed", queue: "after-hours", response: ResponseChannel(channel: .email)),
    MatrixCase(name: "default when nothing matches", input: input(.orderStatus, .chat),
               rule: "default", queue: "general", response: ResponseChannel(channel: .chat), priority: 0),
    MatrixCase(name: "privacy: public post about account access is answered by direct message",
               input: input(.accountAccess, .social, publicPost: true),
               rule: "public-account", queue: "security", response: ResponseChannel(channel: .social, isPublic: false), priority: 80),
    MatrixCase(name: "privacy: no direct message possible, so email",
               input: input(.accountAccess, .social, publicPost: true,
                            contact: ContactProfile(reachable: [.email, .social], canReceiveDirectMessage: false)),
               rule: "public-account", queue: "security", response: ResponseChannel(channel: .email)),
    MatrixCase(name: "privacy: a private type on a public post is never answered publicly",
               input: input(.billing, .social, publicPost: true), rule: "billing", queue: "billing",
               response: ResponseChannel(channel: .social, isPublic: false)),
    MatrixCase(name: "a public post of a public type is answered in public", input: input(.orderStatus, .social, publicPost: true),
               rule: "default", queue: "general", response: ResponseChannel(channel: .social, isPublic: true)),
    MatrixCase(name: "fallback picks the cheapest reachable channel",
               input: input(.accountAccess, .social, publicPost: true,
                            contact: ContactProfile(reachable: [.email, .sms, .chat], canReceiveDirectMessage: false)),
               rule: "public-account", queue: "security", response: ResponseChannel(channel: .sms)),
]

@Suite struct RoutingMatrixTests {
    let matrix: ChannelMatrix

    init() throws {
        matrix = ChannelMatrix(configuration: try routingConfiguration(sampleRoutingJSON))
    }

    @Test(arguments: matrixCases)
    func table(_ row: MatrixCase) {
        let decision = matrix.route(row.input)
        #expect(decision.rule == row.rule)
        #expect(decision.queue == row.queue)
        #expect(decision.response == row.response)
        if let priority = row.priority { #expect(decision.priority == priority) }
        if let skills = row.skills { #expect(decision.requiredSkills.map(\.skill) == skills) }
        if let firstResponse = row.firstResponse { #expect(decision.sla.firstResponse == firstResponse) }
        #expect(decision.autoAnswer == row.autoAnswer)
        #expect(decision.createsTask == row.createsTask)
        #expect(decision.suppressSales == row.suppressSales)
        if let cost = row.cost { #expect(decision.cost == cost) }
        // Whatever the rule says, a private type is never answered publicly.
        if matrix.configuration.isPrivate(row.input.type) { #expect(!decision.response.isPublic) }
    }

    @Test func explanationListsEarlierRulesAndWhyTheyFailed() {
        let decision = matrix.route(input(.billing, .email, contact: ContactProfile(attributes: ["tier": "silver", "language": "de"])))
        let explanation = decision.explanation
        #expect(explanation.matchedRule == "billing")
        #expect(explanation.matchedIndex == 5)
        #expect(explanation.skipped.map(\.ruleID) == ["public-account", "vip", "angry", "info-self-service", "spanish-billing"])
        #expect(explanation.skipped.map { $0.misses.map(\.description) } == [
            ["type billing is not one of account_access", "channel email is not one of social", "the message is not a public post"],
            ["tier silver is not one of gold, platinum"],
            ["frustration 0.00 is outside 0.80…1.00"],
            ["type billing is not one of information"],
            ["language de is not one of es"],
        ])
        #expect(explanation.heldConditions == ["type billing is one of billing"])
    }

    @Test func privacyNoteExplainsTheDirectMessage() {
        let decision = matrix.route(input(.billing, .social, publicPost: true))
        #expect(decision.explanation.notes.contains("billing is private: never answered publicly, so a direct message instead"))
    }

    @Test func defaultMatchesWhenNoRules() throws {
        let configuration = try routingConfiguration(#"{"queues": {"general": {}}, "matrix": {"default": {"queue": "general", "priority": 3}}}"#)
        let decision = ChannelMatrix(configuration: configuration).route(input(.sales, .web))
        #expect(decision.rule == "default")
        #expect(decision.ruleIndex == nil)
        #expect(decision.priority == 3)
        #expect(decision.explanation.skipped.isEmpty)
    }

    @Test func aQueueThatIsNotDefinedGetsItsDefaultsAndANote() throws {
        var configuration = try routingConfiguration(#"{"queues": {"general": {}}, "matrix": {"default": {"queue": "general"}}}"#)
        #expect(!ChannelMatrix(configuration: configuration).route(input(.sales, .web)).explanation.notes
            .contains { $0.contains("is not defined") })
        configuration.defaultActions?.queue = "ghost"
        let decision = ChannelMatrix(configuration: configuration).route(input(.sales, .web))
        #expect(decision.queue == "ghost")
        #expect(decision.explanation.notes.contains("queue ghost is not defined; its defaults apply"))
    }

    @Test func accountAccessIsPrivateEvenWhenTheTaxonomyForgetsIt() throws {
        let configuration = try routingConfiguration(#"""
        {"taxonomy": {"private": []}, "queues": {"general": {}}, "matrix": {"default": {"queue": "general"}}}
        """#)
        let matrix = ChannelMatrix(configuration: configuration)
        #expect(matrix.route(input(.accountAccess, .social, publicPost: true)).response == ResponseChannel(channel: .social, isPublic: false))
        #expect(matrix.route(input(.billing, .social, publicPost: true)).response == ResponseChannel(channel: .social, isPublic: true))
    }

    @Test func routesFromAClassification() {
        let classification = Classification(type: .billing, confidence: 0.8, runnerUps: [],
                                            frustration: FrustrationSignal(angry: 1, score: 0.85, cues: ["angry:unacceptable"]),
                                            decidedBy: .model(topFeatures: []))
        let decision = matrix.route(RoutingInput(classification: classification, channel: .email, time: openTime))
        #expect(decision.rule == "angry")
        #expect(decision.suppressSales)
        #expect(decision.escalation == [EscalationStep(.after(.seconds(300)), .notify("supervisors"))])
    }
}
