import Foundation
import Testing
@testable import SwitchboardCore

/// An instant from RFC 3339 text; traps on a typo in a test.
func at(_ text: String) -> Date {
    guard let date = RFC3339.parse(text) else { fatalError("bad test date \(text)") }
    return date
}

/// Parses routing sections, failing the test with every issue when they do not load.
func routingConfiguration(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> RoutingConfiguration {
    switch RoutingConfiguration.parse(json) {
    case .success(let configuration): return configuration
    case .failure(let error):
        Issue.record("configuration did not load:\n\(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// The issues of routing sections that are expected not to load, as `path: message (hint)` lines.
func routingIssues(_ json: String) -> [String] {
    switch RoutingConfiguration.parse(json) {
    case .success: return []
    case .failure(let error): return error.issues.map(\.description)
    }
}

/// A small deterministic generator (SplitMix64) so property tests replay exactly.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The matrix the table tests run against: every condition kind, privacy, deflection.
let sampleRoutingJSON = #"""
{
  "taxonomy": {
    "types": ["billing", "technical", "account_access", "order_status", "information", "complaint", "sales", "cancellation", "other"],
    "private": ["account_access", "billing"]
  },
  "skills": ["billing", "technical", "spanish", "vip", "general"],
  "calendars": {
    "office": {"time_zone": "Europe/Berlin", "hours": {"weekdays": "08:00-18:00"}, "holidays": ["2025-12-25"]}
  },
  "queues": {
    "billing": {"skills": {"billing": 1}, "strategy": "longest_idle", "priority": 10, "calendar": "office",
                "sla": {"first_response": "4h", "resolution": "2d", "channels": {"chat": {"first_response": "2m", "resolution": "30m"}}}},
    "tech": {"skills": ["technical"], "strategy": "least_busy"},
    "vip": {"skills": {"vip": 1}, "strategy": "round_robin", "priority": 50},
    "security": {"skills": ["general"], "priority": 5},
    "after-hours": {},
    "general": {"skills": ["general"]}
  },
  "responses": {
    "store-hours": {"title": "Opening hours", "text": "We are open Monday to Friday, 8:00 to 18:00.",
                    "short_text": "Open Mon-Fri 8-18.", "link": "https://example.com/hours", "tags": ["information"]}
  },
  "channel_costs": {"email": 1.5, "sms": 0.4, "chat": 2.0, "social": 1.0, "voice": 5.0, "self_service": 0.05},
  "matrix": {
    "frustration_threshold": 0.6,
    "rules": [
      {"id": "public-account", "when": {"types": ["account_access"], "channels": ["social"], "public_post": true},
       "then": {"queue": "security", "priority": 80, "respond_on": "private"}},
      {"id": "vip", "when": {"attributes": {"tier": ["gold", "platinum"]}}, "then": {"queue": "vip", "respond_on": "preferred"}},
      {"id": "angry", "when": {"min_frustration": 0.8}, "then": {"queue": "general", "priority": 60,
                                                                "escalation": [{"after": "5m", "notify": "supervisors"}]}},
      {"id": "info-self-service", "when": {"types": ["information"], "min_confidence": 0.7},
       "then": {"queue": "general", "auto_answer": "store-hours"}},
      {"id": "spanish-billing", "when": {"types": ["billing"], "attributes": {"language": "es"}},
       "then": {"queue": "billing", "skills": {"spanish": 1}}},
      {"id": "billing", "when": {"types": ["billing"]},
       "then": {"queue": "billing", "escalation": [{"after": "10m", "raise_priority": 5}, {"on": "no_agent", "move_to": "general"}]}},
      {"id": "closed", "when": {"business_hours": {"calendar": "office", "open": false}}, "then": {"queue": "after-hours", "respond_on": "email"}},
      {"id": "tech-realtime", "when": {"types": ["technical"], "channels": ["chat", "voice"]}, "then": {"queue": "tech", "sla": {"first_response": "1m"}}}
    ],
    "default": {"queue": "general"}
  }
}
"""#
