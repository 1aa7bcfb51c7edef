import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardDaemon

/// The decider with the repeated-contact count, and deciding a stored message again.
@Suite struct InquiryDeciderTests {
    static let sender = Identity(kind: .phone, value: "+4915112345678")

    static func message(_ n: Int) -> InboundMessage {
        InboundMessage(channel: .sms, adapterID: "sms", externalID: "SM\(n)", sender: sender, text: "where is my order")
    }

    @Test func aStoredMessageIsDecidedAgainWithTheCountItArrivedWith() throws {
        let decider = try InquiryDecider(settings: ClassifierSettings(), routing: .minimal)
        let contacts = RecentContacts()
        var decisions: [MessageDecision] = []
        for n in 1...3 {
            let message = Self.message(n)
            decisions.append(decider.decide(message, recentContactCount: contacts.record(message)))
        }
        #expect(decisions.map { $0.classification?.frustration.repeatedContact } == [false, false, true])
        #expect(InquiryDecider.storedContactCount(decisions[2].details) == 3)
        #expect(InquiryDecider.storedContactCount(decisions[1].details) == 0)
        #expect(String(decoding: decisions[2].details, as: UTF8.self).contains("\"repeated_contact\":true"))

        // As read back from the store: the decision's details only.
        var stored = Self.message(3)
        stored.decision = MessageDecision(inquiryType: decisions[2].inquiryType, confidence: decisions[2].confidence,
                                          details: decisions[2].details)
        let again = decider.redecide(stored)
        #expect(again.classification?.frustration.repeatedContact == true)
        #expect(again.classification?.frustration.cues.contains("contacts:3") == true)
        #expect(contacts.count(of: Self.sender) == 3, "deciding again counts nothing")
    }

    @Test(arguments: [("{\"cues\":[\"contacts:12\"]}", 12), ("{\"cues\":[\"angry:awful\"]}", 0), ("", 0), ("\"contacts:", 0)])
    func theStoredCountIsFoundWithoutParsing(details: String, count: Int) {
        #expect(InquiryDecider.storedContactCount(Array(details.utf8)) == count)
    }
}
