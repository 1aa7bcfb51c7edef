import Dispatch
import Foundation
import Testing
@testable import SwitchboardCore

/// The repeated-contact counter: counts within the window, forgets what left it, redeliveries
/// do not count, and memory stays bounded (the longest-silent sender goes first).
@Suite struct RecentContactsTests {
    static let ana = Identity(kind: .email, value: "ana@example.com")
    static let bob = Identity(kind: .phone, value: "+4915112345678")

    static func sender(_ n: Int) -> Identity { Identity(kind: .email, value: "c\(n)@example.com") }

    @Test func countsEachSendersMessagesWithinTheWindow() {
        let contacts = RecentContacts(window: .seconds(100), capacity: 10)
        #expect(contacts.record(sender: Self.ana, at: 0) == 1)
        #expect(contacts.record(sender: Self.ana, at: 10) == 2)
        #expect(contacts.record(sender: Self.bob, at: 11) == 1, "another sender counts on their own")
        #expect(contacts.record(sender: Self.ana, at: 20) == 3)
        #expect(contacts.count(of: Self.ana, at: 20) == 3, "count does not add one")
        #expect(contacts.count(of: Self.bob, at: 20) == 1)
        #expect(contacts.count(of: Identity(kind: .email, value: "nobody@example.com"), at: 20) == 0)
    }

    @Test func theSameValueOfAnotherKindIsAnotherSender() {
        let contacts = RecentContacts(window: .seconds(100), capacity: 10)
        contacts.record(sender: Identity(kind: .chat, value: "v-1"), at: 0)
        #expect(contacts.record(sender: Identity(kind: .external, value: "v-1"), at: 1) == 1)
    }

    @Test func messagesOlderThanTheWindowNoLongerCount() {
        let contacts = RecentContacts(window: .seconds(100), capacity: 10)
        contacts.record(sender: Self.ana, at: 0)
        contacts.record(sender: Self.ana, at: 50)
        #expect(contacts.count(of: Self.ana, at: 99) == 2)
        #expect(contacts.count(of: Self.ana, at: 100) == 1, "exactly one window later the first message is out")
        #expect(contacts.record(sender: Self.ana, at: 120) == 2)
        #expect(contacts.record(sender: Self.ana, at: 400) == 1, "a whole window of silence starts afresh")
    }

    @Test func sendersSilentForAWholeWindowAreForgotten() {
        let contacts = RecentContacts(window: .seconds(60), capacity: 100)
        for n in 0..<20 { contacts.record(sender: Self.sender(n), at: Int64(n)) }
        #expect(contacts.trackedSenders == 20)
        contacts.record(sender: Self.ana, at: 70)
        // Senders 0…10 last wrote 60 s or more before: dropped as time passed.
        #expect(contacts.trackedSenders == 10)
        #expect(contacts.count(of: Self.sender(11), at: 70) == 1)
    }

    @Test func theCountStopsAtPerSender() {
        let contacts = RecentContacts(window: .seconds(1000), capacity: 10)
        var last = 0
        for second in 0..<20 { last = contacts.record(sender: Self.ana, at: Int64(second)) }
        #expect(last == RecentContacts.perSender)
    }

    @Test func aRedeliveredMessageIsNotCountedTwice() {
        let contacts = RecentContacts(window: .seconds(100), capacity: 10)
        let first = RecentContacts.messageKey(adapterID: "twilio", externalID: "SM1")
        let second = RecentContacts.messageKey(adapterID: "twilio", externalID: "SM2")
        #expect(contacts.record(sender: Self.bob, messageKey: first, at: 0) == 1)
        #expect(contacts.record(sender: Self.bob, messageKey: first, at: 5) == 1, "the provider re-sent SM1")
        #expect(contacts.record(sender: Self.bob, messageKey: second, at: 6) == 2)
        #expect(contacts.record(sender: Self.bob, messageKey: first, at: 7) == 2)
        #expect(RecentContacts.messageKey(adapterID: "vonage", externalID: "SM1") != first)
    }

    @Test func atCapacityTheSenderSilentLongestIsForgotten() {
        let contacts = RecentContacts(window: .seconds(1000), capacity: 3)
        contacts.record(sender: Self.sender(1), at: 0)
        contacts.record(sender: Self.sender(2), at: 1)
        contacts.record(sender: Self.sender(3), at: 2)
        contacts.record(sender: Self.sender(1), at: 3)   // 1 wrote again: now 2 is the longest silent
        contacts.record(sender: Self.sender(4), at: 4)
        #expect(contacts.trackedSenders == 3)
        #expect(contacts.count(of: Self.sender(2), at: 4) == 0, "evicted")
        #expect(contacts.count(of: Self.sender(1), at: 4) == 2, "kept: it wrote recently")
        #expect(contacts.count(of: Self.sender(3), at: 4) == 1)
        #expect(contacts.record(sender: Self.sender(2), at: 5) == 1, "an evicted sender counts afresh")
        #expect(contacts.count(of: Self.sender(3), at: 5) == 0, "and evicted the next longest silent")
    }

    @Test func memoryStaysBoundedUnderManySenders() {
        let contacts = RecentContacts(window: .seconds(86_400), capacity: 1_000)
        for n in 0..<50_000 { contacts.record(sender: Self.sender(n), at: Int64(n / 100)) }
        #expect(contacts.trackedSenders == 1_000)
        #expect(contacts.storageSlots == 1_000, "slots are reused, never more than the capacity")
        #expect(contacts.count(of: Self.sender(49_999), at: 500) == 1)
        #expect(contacts.count(of: Self.sender(48_999), at: 500) == 0)
    }

    @Test func aSmallerCapacityOnReloadKeepsTheNewest() {
        let contacts = RecentContacts(window: .seconds(1000), capacity: 10)
        for n in 0..<10 { contacts.record(sender: Self.sender(n), at: Int64(n)) }
        contacts.configure(window: .seconds(1000), capacity: 4)
        #expect(contacts.trackedSenders == 4)
        #expect(contacts.count(of: Self.sender(9), at: 10) == 1)
        #expect(contacts.count(of: Self.sender(5), at: 10) == 0)
        contacts.configure(window: .seconds(5), capacity: 4)
        #expect(contacts.count(of: Self.sender(9), at: 15) == 0, "a shorter window applies at once")
    }

    @Test func manyThreadsCountWithoutLosingAMessage() {
        let contacts = RecentContacts(window: .seconds(1000), capacity: 100_000)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for n in 0..<2_000 {
                contacts.record(sender: Self.sender(n), messageKey: UInt32(thread * 10_000 + n + 1), at: 1)
            }
        }
        #expect(contacts.trackedSenders == 2_000)
        for n in stride(from: 0, to: 2_000, by: 97) {
            #expect(contacts.count(of: Self.sender(n), at: 1) == RecentContacts.perSender)
        }
        let one = RecentContacts(window: .seconds(1000), capacity: 10)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            _ = one.record(sender: Self.ana, messageKey: UInt32(thread + 1), at: 1)
        }
        #expect(one.count(of: Self.ana, at: 1) == 4)
    }

    @Test func theThirdMessageOfASenderIsARepeatedContact() throws {
        let contacts = RecentContacts()
        let classifier = try Classifier()
        var signals: [FrustrationSignal] = []
        for n in 1...3 {
            let message = InboundMessage(channel: .email, adapterID: "mail", externalID: "m\(n)", sender: Self.ana,
                                         text: "Where is my parcel?")
            signals.append(classifier.classify(message, recentContactCount: contacts.record(message)).frustration)
        }
        #expect(signals.map(\.repeatedContact) == [false, false, true])
        #expect(signals[2].cues.contains("contacts:3"))
        #expect(!signals[1].cues.contains { $0.hasPrefix("contacts:") })
    }
}
