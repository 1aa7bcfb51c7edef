import Foundation
import Synchronization

/// How many messages each sender wrote lately: the fact behind the frustration signal's
/// "repeated contact" (`Classifier.classify(_:recentContactCount:)`). The text cannot say that a
/// customer wrote three times today; this counter can, before the message is stored, on the
/// ingesting thread.
///
/// Bounded by design: at most `capacity` senders are remembered (the one whose last message is
/// oldest is forgotten first), at most `perSender` messages each, and nothing older than `window`
/// counts. A sender is kept as a 64-bit hash of their normalized identity (kind and value, e.g. the
/// E.164 number or the lower-cased address) under a per-process random seed, so no address or
/// number is held in memory and no one can craft a collision. A redelivered message (same adapter
/// and external id) is not counted twice. In memory only: a restart starts counting afresh.
///
/// One lock, one hash look-up and a few integer moves per message; several event-loop threads
/// call it at once.
///
///     let contacts = RecentContacts(window: .seconds(86_400), capacity: 100_000)
///     let count = contacts.record(message)          // 1, 2, 3 … for the same sender
///     classifier.classify(message, recentContactCount: count)
public final class RecentContacts: Sendable {
    public static let defaultWindow: Duration = .seconds(24 * 3600)
    public static let defaultCapacity = 100_000
    /// The most messages remembered per sender: the count stops rising there.
    public static let perSender = 8

    private let table: Mutex<Table>
    private let clock: @Sendable () -> Int64

    /// `clock` answers whole seconds on a clock that never goes back (tests pass their own).
    public init(window: Duration = RecentContacts.defaultWindow, capacity: Int = RecentContacts.defaultCapacity,
                clock: @escaping @Sendable () -> Int64 = RecentContacts.monotonicSeconds) {
        table = Mutex(Table(window: Self.seconds(window), capacity: max(1, capacity)))
        self.clock = clock
    }

    /// A new window and capacity (a reload); the counts so far are kept, the oldest senders
    /// forgotten when the capacity shrank.
    public func configure(window: Duration, capacity: Int) {
        table.withLock { table in
            table.window = Self.seconds(window)
            table.capacity = max(1, capacity)
            while table.slots.count > table.capacity { table.forgetOldest() }
        }
    }

    /// Counts the message against its sender and answers how many messages the sender wrote
    /// within the window, this one included (at most `perSender`).
    @discardableResult
    public func record(_ message: InboundMessage) -> Int {
        record(sender: message.sender, messageKey: Self.messageKey(adapterID: message.adapterID, externalID: message.externalID),
               at: clock())
    }

    /// `messageKey` (from `messageKey(adapterID:externalID:)`, 0 for none) makes a redelivery
    /// answer the count without adding to it.
    @discardableResult
    public func record(sender: Identity, messageKey: UInt32 = 0, at now: Int64) -> Int {
        let key = Self.senderKey(sender)
        return table.withLock { $0.record(key, message: messageKey, now: now) }
    }

    /// How many messages the sender wrote within the window, without counting one more.
    public func count(of sender: Identity, at now: Int64? = nil) -> Int {
        let key = Self.senderKey(sender)
        let time = now ?? clock()
        return table.withLock { table in table.slots[key].map { table.liveCount($0, now: time) } ?? 0 }
    }

    /// How many senders are remembered now.
    public var trackedSenders: Int { table.withLock { $0.slots.count } }

    /// Slots ever allocated (tests check that eviction reuses them).
    var storageSlots: Int { table.withLock { $0.senders.count } }

    // MARK: Keys and time

    private static let origin = ContinuousClock.now

    /// Whole seconds since the first call, on the monotonic clock.
    public static func monotonicSeconds() -> Int64 { origin.duration(to: .now).components.seconds }

    static func seconds(_ duration: Duration) -> Int64 { max(1, duration.components.seconds) }

    static func senderKey(_ sender: Identity) -> UInt64 {
        var hasher = Hasher()
        let kind: UInt8 = switch sender.kind {
        case .email: 1
        case .phone: 2
        case .social: 3
        case .chat: 4
        case .external: 5
        }
        hasher.combine(kind)
        hasher.combine(sender.value)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// A message's dedupe key (adapter and external id) folded to 32 bits; never 0.
    public static func messageKey(adapterID: String, externalID: String) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(adapterID)
        hasher.combine(externalID)
        let key = UInt32(truncatingIfNeeded: hasher.finalize())
        return key == 0 ? 1 : key
    }

    // MARK: The table

    /// Senders in slots; each slot holds its sender's last `perSender` message times (newest
    /// first) in `times` and `messages`, and sits in a list ordered by last message, so the
    /// sender to forget is always at `oldest` and senders silent for a whole window are dropped
    /// from that end as time passes.
    struct Table {
        var window: Int64
        var capacity: Int
        var slots: [UInt64: Int32] = [:]
        var senders: [UInt64] = []
        var counts: [UInt8] = []
        var times: [UInt32] = []
        var messages: [UInt32] = []
        /// The list: toward the sender with the older last message, and toward the newer.
        var older: [Int32] = []
        var newer: [Int32] = []
        var oldest: Int32 = -1
        var newest: Int32 = -1
        var free: [Int32] = []

        init(window: Int64, capacity: Int) {
            self.window = window
            self.capacity = capacity
        }

        mutating func record(_ sender: UInt64, message: UInt32, now: Int64) -> Int {
            let stamp = UInt32(clamping: max(0, now))
            dropSilent(now: now)
            let width = RecentContacts.perSender
            if let slot = slots[sender] {
                let base = Int(slot) * width
                let live = liveCount(slot, now: now)
                if message != 0 {
                    for index in 0..<live where messages[base + index] == message { return live }
                }
                var index = min(live, width - 1)
                while index > 0 {
                    times[base + index] = times[base + index - 1]
                    messages[base + index] = messages[base + index - 1]
                    index -= 1
                }
                times[base] = stamp
                messages[base] = message
                counts[Int(slot)] = UInt8(min(live + 1, width))
                unlink(slot)
                append(slot)
                return Int(counts[Int(slot)])
            }
            if slots.count >= capacity { forgetOldest() }
            let slot: Int32
            if let reused = free.popLast() {
                slot = reused
                senders[Int(slot)] = sender
            } else {
                slot = Int32(senders.count)
                senders.append(sender)
                counts.append(0)
                older.append(-1)
                newer.append(-1)
                times += repeatElement(0, count: width)
                messages += repeatElement(0, count: width)
            }
            let base = Int(slot) * width
            times[base] = stamp
            messages[base] = message
            counts[Int(slot)] = 1
            slots[sender] = slot
            append(slot)
            return 1
        }

        /// The slot's messages still within the window (they are newest first).
        func liveCount(_ slot: Int32, now: Int64) -> Int {
            let base = Int(slot) * RecentContacts.perSender
            var live = 0
            while live < Int(counts[Int(slot)]), now - Int64(times[base + live]) < window { live += 1 }
            return live
        }

        /// Forgets the senders whose last message left the window.
        mutating func dropSilent(now: Int64) {
            while oldest >= 0, now - Int64(times[Int(oldest) * RecentContacts.perSender]) >= window { forgetOldest() }
        }

        mutating func forgetOldest() {
            let slot = oldest
            guard slot >= 0 else { return }
            unlink(slot)
            slots[senders[Int(slot)]] = nil
            counts[Int(slot)] = 0
            free.append(slot)
        }

        private mutating func unlink(_ slot: Int32) {
            let before = older[Int(slot)], after = newer[Int(slot)]
            if before >= 0 { newer[Int(before)] = after } else { oldest = after }
            if after >= 0 { older[Int(after)] = before } else { newest = before }
            older[Int(slot)] = -1
            newer[Int(slot)] = -1
        }

        private mutating func append(_ slot: Int32) {
            older[Int(slot)] = newest
            newer[Int(slot)] = -1
            if newest >= 0 { newer[Int(newest)] = slot } else { oldest = slot }
            newest = slot
        }
    }
}
