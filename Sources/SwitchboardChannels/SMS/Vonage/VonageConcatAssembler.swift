import Foundation
import SwitchboardCore

/// Gathers the parts of long Vonage messages (`concat=true`, `concat-ref`, `concat-total`,
/// `concat-part`) until all have arrived, so that routing sees one message. A value type with
/// no I/O: the adapter persists each group (see `VonageAdapter`) and asks it what to do.
///
/// Bounded: at most `maxGroups` groups wait at once (the oldest is given up early when a new one
/// would exceed it) and a group waits at most `timeout` for its missing parts; a group given up
/// is still delivered, with what arrived and a marker for each missing part.
public struct VonageConcatAssembler: Sendable {
    public struct Part: Sendable, Hashable {
        public var number: Int
        public var messageID: String
        public var text: String
        public var raw: String
    }

    /// The parts of one long message received so far.
    public struct Group: Sendable, Hashable {
        public var key: String
        /// The fields of the first part that arrived (sender, recipient, type, timestamps).
        public var template: VonageInbound
        public var total: Int
        public var parts: [Int: Part]
        public var firstSeen: Date

        public var isComplete: Bool { parts.count == total }
        public var missing: [Int] { (1...total).filter { parts[$0] == nil } }
        public var partIDs: [String] { parts.keys.sorted().compactMap { parts[$0]?.messageID } }

        /// The whole text; a missing part reads `[…part N missing…]`.
        public var text: String {
            (1...total).map { parts[$0]?.text ?? "[…part \($0) of \(total) missing…]" }.joined()
        }

        /// The message for the store: the dedupe key is the id of the lowest part present.
        public func message(adapterID: String, defaultRegion: String?) -> InboundMessage {
            var template = self.template
            let first = parts.keys.min().flatMap { parts[$0] }
            template.messageID = first?.messageID ?? template.messageID
            let ref = template.concat?.ref ?? key
            template.concat = nil
            var raw = JSONWriter(capacity: 256)
            raw.object { w in
                w.field("concat_ref", ref)
                w.field("parts", array: { w in
                    for number in parts.keys.sorted() { w.value(parts[number]!.raw) }
                })
            }
            var extra: [String: String] = ["concat_ref": ref, "concat_total": String(total), "concat_parts": partIDs.joined(separator: ",")]
            if !isComplete { extra["concat_missing"] = missing.map(String.init).joined(separator: ",") }
            return template.message(adapterID: adapterID, defaultRegion: defaultRegion, raw: raw.bytes,
                                    text: text, metadataExtra: extra)
        }
    }

    public enum AddResult: Sendable, Equatable {
        /// Still waiting for parts.
        case pending(Group)
        /// Every part is here.
        case complete(Group)
    }

    public private(set) var groups: [String: Group] = [:]
    public let maxGroups: Int
    public let timeout: Duration

    public init(maxGroups: Int = 10_000, timeout: Duration = .seconds(900)) {
        self.maxGroups = max(1, maxGroups)
        self.timeout = timeout
    }

    /// Adds a part (a re-sent part replaces itself). Returns what the group now is, and groups
    /// given up to stay within `maxGroups` (deliver them as incomplete).
    public mutating func add(_ inbound: VonageInbound, raw: [UInt8], now: Date) -> (AddResult, evicted: [Group]) {
        guard let key = inbound.concatKey, let concat = inbound.concat else {
            preconditionFailure("add() takes concatenated parts only")
        }
        var evicted: [Group] = []
        var group: Group
        if let existing = groups[key], existing.total == concat.total {
            group = existing
        } else {
            if groups[key] == nil, groups.count >= maxGroups, let oldest = groups.values.min(by: { $0.firstSeen < $1.firstSeen }) {
                groups.removeValue(forKey: oldest.key)
                evicted.append(oldest)
            }
            group = Group(key: key, template: inbound, total: concat.total, parts: [:], firstSeen: now)
        }
        group.parts[concat.part] = Part(number: concat.part, messageID: inbound.messageID, text: inbound.text,
                                        raw: String(decoding: raw, as: UTF8.self))
        groups[key] = group
        return (group.isComplete ? .complete(group) : .pending(group), evicted)
    }

    /// Puts back a group read from the store (after a restart).
    public mutating func restore(_ group: Group) {
        groups[group.key] = group
    }

    /// Forgets a group (delivered).
    public mutating func remove(_ key: String) {
        groups.removeValue(forKey: key)
    }

    /// Removes and returns the groups that waited longer than `timeout`.
    public mutating func expired(now: Date) -> [Group] {
        let limit = Double(timeout.components.seconds)
        let old = groups.values.filter { now.timeIntervalSince($0.firstSeen) >= limit }
        for group in old { groups.removeValue(forKey: group.key) }
        return old.sorted { $0.firstSeen < $1.firstSeen }
    }

    // MARK: Persistence format (checkpoint values)

    /// A waiting group as JSON, for its checkpoint.
    public static func encode(_ group: Group) -> String {
        var w = JSONWriter(capacity: 512)
        let t = group.template
        w.object { w in
            w.field("key", group.key)
            w.field("total", group.total)
            w.field("first_seen", Int64(group.firstSeen.timeIntervalSince1970 * 1000))
            w.field("msisdn", t.msisdn)
            w.fieldIfPresent("to", t.to)
            w.field("type", t.type)
            w.fieldIfPresent("keyword", t.keyword)
            if let sentAt = t.sentAt { w.field("sent_at", Int64(sentAt.timeIntervalSince1970 * 1000)) }
            w.field("ref", t.concat?.ref ?? "")
            w.field("parts", array: { w in
                for number in group.parts.keys.sorted() {
                    let part = group.parts[number]!
                    w.object { w in
                        w.field("part", part.number)
                        w.field("id", part.messageID)
                        w.field("text", part.text)
                        w.field("raw", part.raw)
                    }
                }
            })
        }
        return w.string
    }

    /// The record left when a group has been delivered: the ids of its parts, so that a part
    /// re-sent later (after a restart) is recognised as already stored.
    public static func encodeDone(_ group: Group, messageID: String) -> String {
        var w = JSONWriter(capacity: 128)
        w.object { w in
            w.field("done", true)
            w.field("message_id", messageID)
            w.field("ids", array: { w in for id in group.partIDs { w.value(id) } })
        }
        return w.string
    }

    /// What a checkpoint value holds.
    public enum Stored: Sendable, Equatable {
        case waiting(Group)
        case done(partIDs: Set<String>)
        case none
    }

    public static func decode(_ text: String?) -> Stored {
        guard let text, !text.isEmpty, case .object(let o)? = try? JSONParser().parse(text) else { return .none }
        if o["done"]?.boolValue == true {
            let ids = (o["ids"]?.arrayValue ?? []).compactMap(\.stringValue)
            return .done(partIDs: Set(ids))
        }
        guard let key = o["key"]?.stringValue, let total = o["total"]?.intValue, total >= 1, total <= VonageInbound.maxParts,
              let msisdn = o["msisdn"]?.stringValue, let firstSeen = o["first_seen"]?.int64Value else { return .none }
        var parts: [Int: Part] = [:]
        for item in o["parts"]?.arrayValue ?? [] {
            guard let number = item["part"]?.intValue, (1...total).contains(number), let id = item["id"]?.stringValue else { continue }
            parts[number] = Part(number: number, messageID: id, text: item["text"]?.stringValue ?? "", raw: item["raw"]?.stringValue ?? "")
        }
        guard !parts.isEmpty else { return .none }
        let lowest = parts[parts.keys.min()!]!
        let template = VonageInbound(msisdn: msisdn, to: o["to"]?.stringValue, messageID: lowest.messageID, text: lowest.text,
                                     type: o["type"]?.stringValue ?? "text", keyword: o["keyword"]?.stringValue,
                                     sentAt: o["sent_at"]?.int64Value.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                                     concat: .init(ref: o["ref"]?.stringValue ?? "", total: total, part: lowest.number))
        return .waiting(Group(key: key, template: template, total: total, parts: parts,
                              firstSeen: Date(timeIntervalSince1970: Double(firstSeen) / 1000)))
    }
}
