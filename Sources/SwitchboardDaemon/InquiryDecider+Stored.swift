import Foundation
import SwitchboardCore

extension InquiryDecider {
    /// Decides a stored message again (tasks rebuilt at start, automatic answers' replay) with the
    /// repeated-contact count it was first decided with, so that a message routed by its sender's
    /// repeated contact is routed the same way after a restart. The count is not counted again.
    func redecide(_ message: InboundMessage) -> MessageDecision {
        decide(message, recentContactCount: Self.storedContactCount(message.decision?.details ?? []))
    }

    /// The N of the cue `contacts:N` in a stored decision (present when it was a repeated
    /// contact), else 0. A byte search: the decision is not parsed.
    static func storedContactCount(_ details: [UInt8]) -> Int {
        let cue = Array("\"contacts:".utf8)
        guard details.count > cue.count else { return 0 }
        var index = 0
        while index + cue.count < details.count {
            if details[index] == cue[0], Array(details[index..<index + cue.count]) == cue {
                var value = 0
                var position = index + cue.count
                while position < details.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(details[position]), value < 1_000_000 {
                    value = value * 10 + Int(details[position] - UInt8(ascii: "0"))
                    position += 1
                }
                return value
            }
            index += 1
        }
        return 0
    }
}
