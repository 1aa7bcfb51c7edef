import Foundation
import Testing
@testable import SwitchboardCore

@Suite struct RoutingConfigurationTests {
    @Test func readsEverySection() throws {
        let configuration = try routingConfiguration(sampleRoutingJSON)
        #expect(configuration.taxonomy.count == 9)
        #expect(configuration.privateTypes == [.accountAccess, .billing])
        #expect(configuration.queues.map(\.id) == ["billing", "tech", "vip", "security", "after-hours", "general"])
        let billing = try #require(configuration.queue("billing"))
        #expect(billing.requiredSkills == [SkillRequirement(skill: "billing")])
        #expect(billing.slaTargets(for: .chat) == SLATargets(firstResponse: .seconds(120), resolution: .seconds(1800)))
        #expect(billing.slaTargets(for: .email) == SLATargets(firstResponse: .seconds(14_400), resolution: .seconds(172_800)))
        #expect(configuration.queue("tech")?.strategy == .leastBusy)
        #expect(configuration.calendars["office"]?.timeZone.identifier == "Europe/Berlin")
        #expect(configuration.calendars["office"]?.hours[.mon] == [OpeningHours(startMinute: 480, endMinute: 1080)])
        #expect(configuration.calendars["office"]?.hours[.sat] == nil)
        #expect(configuration.channelCosts[.sms] == 0.4)
        #expect(configuration.selfServiceCost == 0.05)
        #expect(configuration.response("store-hours")?.text(for: .sms) == "Open Mon-Fri 8-18. https://example.com/hours")
        #expect(configuration.rules.count == 8)
        #expect(configuration.rules[5].actions.escalation == [
            EscalationStep(.after(.seconds(600)), .raisePriority(by: 5)),
            EscalationStep(.noAgentAvailable, .moveToQueue("general")),
        ])
        #expect(configuration.frustrationThreshold == 0.6)
        #expect(configuration.offers.acceptTimeout == .seconds(30))
        #expect(configuration.lastAgent.timeout == .seconds(120))
    }

    @Test func agentsOffersAndLastAgent() throws {
        let configuration = try routingConfiguration(#"""
        {
          "skills": ["billing", "english"],
          "calendars": {"early": {"time_zone": "UTC", "hours": {"weekdays": ["06:00-10:00", "10:30-14:00"]}}},
          "queues": {"billing": {"skills": ["billing"]}},
          "agents": {
            "anna": {"name": "Anna Berg", "skills": {"billing": 3, "english": 2}, "capacity": {"chat": 3, "email": 5, "voice": 1},
                     "shift": "early", "token": "env:AGENT_ANNA_TOKEN"}
          },
          "offers": {"accept_timeout": "20s", "auto_accept": ["email"], "exclusive_channels": ["voice"]},
          "last_agent": {"timeout": "10m"},
          "matrix": {"default": {"queue": "billing"}}
        }
        """#)
        let anna = try #require(configuration.agent("anna"))
        #expect(anna.name == "Anna Berg")
        #expect(anna.skills == ["billing": 3, "english": 2])
        #expect(anna.capacity == [.chat: 3, .email: 5, .voice: 1])
        #expect(anna.token == "env:AGENT_ANNA_TOKEN")
        #expect(configuration.calendars["early"]?.hours[.fri] == [OpeningHours(startMinute: 360, endMinute: 600), OpeningHours(startMinute: 630, endMinute: 840)])
        #expect(configuration.offers == OfferSettings(acceptTimeout: .seconds(20), autoAcceptChannels: [.email]))
        #expect(configuration.lastAgent.timeout == .seconds(600))
    }

    @Test func noRoutingSectionsMeansOneGeneralQueue() throws {
        let reader = ConfigReader(root: try JSONParser().parse(#"{"store": {}}"#))
        let configuration = try #require(RoutingConfiguration.read(from: reader))
        #expect(configuration.queues.map(\.id) == ["general"])
        #expect(configuration.defaultActions?.queue == "general")
        #expect(!reader.hasIssues)
    }

    @Test func unknownReferencesAreReportedWithPaths() {
        let found = routingIssues(#"""
        {
          "skills": ["billing"],
          "calendars": {"office": {"time_zone": "Europe/Berlin", "hours": {"weekdays": "09:00-17:00"}}},
          "queues": {
            "billing": {"skills": {"biling": 2}, "calendar": "ofice"},
            "general": {}
          },
          "agents": {"bo": {"skills": {"billing": 1, "french": 2}, "capacity": {"chat": 2, "emial": 3}, "shift": "nights"}},
          "responses": {"hours": {"title": "Hours", "text": "9 to 5"}},
          "matrix": {
            "rules": [
              {"id": "a", "when": {"types": ["biling"], "channels": ["chta"]}, "then": {"queue": "billling", "auto_answer": "hour"}},
              {"id": "b", "when": {"business_hours": {"calendar": "weekend"}}, "then": {"queue": "general",
               "escalation": [{"after": "5m", "move_to": "vip"}, {"on": "no_agent", "relax_skill": "spanish"}]}}
            ],
            "default": {"queue": "general", "respond_on": "fax"}
          }
        }
        """#)
        #expect(found == [
            "agents.bo.capacity.emial: unknown channel \"emial\" (did you mean \"email\"?)",
            "matrix.rules[0].when.channels[0]: \"chta\" is not allowed here (did you mean \"chat\"?)",
            "matrix.default.respond_on: \"fax\" is not one of \"same\", \"preferred\", \"private\", \"email\", \"sms\", \"chat\", \"social\", \"voice\", \"web\", \"other\"",
            "queues.billing.skills.biling: unknown skill \"biling\" (did you mean \"billing\"?)",
            "queues.billing.calendar: unknown calendar \"ofice\" (did you mean \"office\"?)",
            "agents.bo.skills.french: unknown skill \"french\" (add it to \"skills\")",
            "agents.bo.shift: unknown calendar \"nights\" (define it under \"calendars\")",
            "matrix.rules[0].when.types: unknown inquiry type \"biling\" (did you mean \"billing\"?)",
            "matrix.rules[0].then.queue: unknown queue \"billling\" (did you mean \"billing\"?)",
            "matrix.rules[0].then.auto_answer: unknown response \"hour\" (did you mean \"hours\"?)",
            "matrix.rules[1].when.business_hours.calendar: unknown calendar \"weekend\" (define it under \"calendars\")",
            "matrix.rules[1].then.escalation[0].move_to: unknown queue \"vip\" (define it under \"queues\")",
            "matrix.rules[1].then.escalation[1].relax_skill: unknown skill \"spanish\" (add it to \"skills\")",
        ])
    }

    @Test func shadowedRulesAndMissingDefault() {
        let found = routingIssues(#"""
        {
          "queues": {"general": {}, "billing": {}},
          "matrix": {
            "rules": [
              {"id": "all-billing", "when": {"types": ["billing", "cancellation"]}, "then": {"queue": "billing"}},
              {"id": "billing-chat", "when": {"types": ["billing"], "channels": ["chat"]}, "then": {"queue": "general"}},
              {"id": "gold", "when": {"attributes": {"tier": ["gold", "silver"]}, "min_frustration": 0.2}, "then": {"queue": "general"}},
              {"id": "gold-angry", "when": {"attributes": {"tier": "gold", "language": "en"}, "min_frustration": 0.5}, "then": {"queue": "general"}},
              {"id": "gold-calm", "when": {"attributes": {"tier": "gold"}}, "then": {"queue": "general"}},
              {"id": "everything", "then": {"queue": "general"}},
              {"id": "after-everything", "when": {"channels": ["sms"]}, "then": {"queue": "general"}}
            ]
          }
        }
        """#)
        #expect(found == [
            "matrix.rules[1]: rule \"billing-chat\" can never match: rule \"all-billing\" (matrix.rules[0]) matches every message it would (move it above \"all-billing\", narrow \"all-billing\", or remove it)",
            "matrix.rules[3]: rule \"gold-angry\" can never match: rule \"gold\" (matrix.rules[2]) matches every message it would (move it above \"gold\", narrow \"gold\", or remove it)",
            "matrix.rules[6]: rule \"after-everything\" can never match: rule \"everything\" (matrix.rules[5]) matches every message it would (move it above \"everything\", narrow \"everything\", or remove it)",
            "matrix.default: the matrix has no default (add \"default\": {\"queue\": \"…\"} for messages no rule matches)",
        ])
    }

    @Test func shapesOfValuesAreChecked() {
        let found = routingIssues(#"""
        {
          "calendars": {"x": {"time_zone": "Mars/Olympus", "hours": {"mon": "18:00-08:00", "tue": ["08:00-12:00", "11:00-13:00"], "sunday": "closed"},
                              "holidays": ["2025-02-30"]}},
          "queues": {"general": {"strategy": "fastest", "sla": {"first_response": "soon"}}},
          "agents": {"a": {"capacity": {"chat": 300}, "token": "hunter2"}},
          "channel_costs": {"email": "1.5"},
          "matrix": {
            "frustration_threshold": 2,
            "rules": [
              {"when": {"min_confidence": 0.9, "max_confidence": 0.5}, "then": {"queue": "general",
               "escalation": [{"move_to": "general"}, {"after": "1m", "on": "no_agent", "notify": "x"}, {"after": "1m", "notify": "x", "raise_priority": 2}]}}
            ],
            "default": {"queue": "general"}
          }
        }
        """#)
        #expect(found == [
            "calendars.x.time_zone: \"Mars/Olympus\" is not a time zone (an IANA name such as \"Europe/Berlin\" or \"America/New_York\")",
            "calendars.x.hours.mon: \"18:00-08:00\" is not an opening range (write \"HH:MM-HH:MM\" with the end after the start, e.g. \"08:00-18:00\" or \"00:00-24:00\")",
            "calendars.x.hours.tue[1]: 11:00-13:00 overlaps 08:00-12:00",
            "calendars.x.hours.sunday: unknown key (allowed keys: daily, weekdays, weekend, mon, tue, wed, thu, fri, sat, sun)",
            "calendars.x.holidays[0]: \"2025-02-30\" is not a date (write dates as \"2025-12-25\")",
            "queues.general.strategy: \"fastest\" is not one of \"longest_idle\", \"least_busy\", \"round_robin\"",
            "queues.general.sla.first_response: \"soon\" is not a duration (write it like \"30s\", \"5m\", \"1h30m\", \"250ms\", or a number of seconds)",
            "agents.a.capacity.chat: must be between 0 and 100, found 300",
            "agents.a.token: secrets must not be inline; use env:NAME, file:PATH or credential:NAME (put the secret in a file or the service environment and refer to it)",
            "channel_costs.email: expected a number, found a string (write the number without quotes)",
            "matrix.frustration_threshold: must be between 0.00 and 1.00, found 2.00",
            "matrix.rules[0].when.min_confidence: min_confidence 0.90 is above max_confidence 0.50: the rule can never match",
            "matrix.rules[0].then.escalation[0]: the step has no trigger (give exactly one of \"after\": \"10m\" or \"on\": \"no_agent\" | \"first_response_breach\" | \"resolution_breach\")",
            "matrix.rules[0].then.escalation[1]: the step has more than one trigger (give exactly one of \"after\": \"10m\" or \"on\": \"no_agent\" | \"first_response_breach\" | \"resolution_breach\")",
            "matrix.rules[0].then.escalation[2]: the step has more than one action (give exactly one of move_to, relax_skill, raise_priority, notify)",
        ])
    }

    @Test func unknownKeysGetSuggestions() {
        let found = routingIssues(#"""
        {"queues": {"general": {"stratgy": "round_robin"}}, "matrix": {"rules": [{"when": {"type": ["billing"]}, "then": {"queue": "general"}}], "default": {"queue": "general"}}}
        """#)
        #expect(found == [
            "queues.general.stratgy: unknown key (did you mean 'strategy'?)",
            "matrix.rules[0].when.type: unknown key (did you mean 'types'?)",
        ])
    }

    @Test func validationPathsFollowTheSectionsPlace() throws {
        let reader = ConfigReader(root: try JSONParser().parse(#"{"routing": {"queues": {"general": {}}, "matrix": {"default": {"queue": "nowhere"}}}}"#))
        #expect(RoutingConfiguration.read(from: reader.object("routing")) == nil)
        #expect(reader.issues.map(\.description) == ["routing.matrix.default.queue: unknown queue \"nowhere\" (define it under \"queues\")"])
    }

    @Test func theDocumentedExampleLoads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/routing.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let section = try #require(text.range(of: "## A full example"))
        let start = try #require(text.range(of: "```json\n", range: section.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let configuration = try routingConfiguration(String(text[start.upperBound..<end.lowerBound]))
        #expect(configuration.rules.count == 7)
        #expect(configuration.agents.map(\.id) == ["anna", "ben"])
    }

    @Test func shippedScenariosLoad() throws {
        for name in ["retail.json", "telco-evening.json"] {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/scenarios/\(name)")
            let text = try String(contentsOf: url, encoding: .utf8)
            switch RoutingConfiguration.parse(text, allowingKeys: ["simulation"]) {
            case .success(let configuration): #expect(!configuration.agents.isEmpty)
            case .failure(let error): Issue.record("\(name):\n\(error)")
            }
        }
    }
}
