import Foundation
import Testing
@testable import SwitchboardChannels

@Test func dumpFixtures() throws {
    for name in MailFixtures.names {
        do {
            let mail = try MailFixtures.parse(name)
            print("=== \(name)")
            print("subject: \(mail.subject.debugDescription) from: \(mail.from.map(\.description) ?? "-") date: \(mail.date.map { "\($0)" } ?? "-")")
            print("to: \(mail.to) cc: \(mail.cc) replyTo: \(mail.replyTo) id: \(mail.messageID ?? "-") irt: \(mail.inReplyTo) refs: \(mail.references)")
            print("source: \(mail.textSource) automation: \(mail.automation.map(\.description) ?? "-") defects: \(mail.defects)")
            print("text: \(mail.text.debugDescription)")
            print("strip: \(QuoteStripper.stripForClassification(mail.text).debugDescription)")
            for a in mail.attachments { print("  att: \(a.name ?? "-") \(a.contentType) \(a.size) \(a.disposition ?? "-") \(a.partNumber) kept=\(a.isDataComplete)") }
        } catch {
            print("=== \(name) ERROR \(error)")
        }
    }
}
