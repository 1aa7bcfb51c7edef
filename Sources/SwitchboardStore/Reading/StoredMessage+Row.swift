import Foundation
import SwitchboardCore

extension StoredMessage {
    /// The columns `init(row:)` reads, in order.
    static let columns = """
        id, adapter_id, external_id, channel, direction, contact_id, conversation_id, sender_kind, sender_value, \
        sender_name, recipient, subject, text, html, attachments, metadata, thread_key, reply_to, contact_attributes, \
        sent_at, received_at, raw, inquiry_type, confidence, queue, priority, decision
        """

    init(row: Statement) throws(StoreError) {
        let id = row.string(at: 0) ?? ""
        func corrupt(_ column: String, _ value: String?) -> StoreError {
            .unknownValue("messages.\(column)", value, reading: "message \(id)")
        }
        guard let channel = Channel(rawValue: row.string(at: 3) ?? "") else { throw corrupt("channel", row.string(at: 3)) }
        guard let direction = Direction(rawValue: row.string(at: 4) ?? "") else { throw corrupt("direction", row.string(at: 4)) }
        guard let kind = Identity.Kind(rawValue: row.string(at: 7) ?? "") else { throw corrupt("sender_kind", row.string(at: 7)) }

        let message = InboundMessage(
            channel: channel,
            adapterID: row.string(at: 1) ?? "",
            externalID: row.string(at: 2) ?? "",
            sender: Identity(kind: kind, value: row.string(at: 8) ?? ""),
            senderName: row.string(at: 9),
            recipient: row.string(at: 10),
            subject: row.string(at: 11),
            text: row.string(at: 12) ?? "",
            html: row.string(at: 13),
            attachments: try JSONColumn.decodeAttachments(row.string(at: 14) ?? "[]", column: "messages.attachments"),
            sentAt: row.int64(at: 19).map(Date.init(storeMilliseconds:)),
            threadKey: row.string(at: 16),
            replyTo: try JSONColumn.decodeArray(row.string(at: 17) ?? "[]", column: "messages.reply_to"),
            contactAttributes: try JSONColumn.decodeObject(row.string(at: 18) ?? "{}", column: "messages.contact_attributes"),
            metadata: try JSONColumn.decodeObject(row.string(at: 15) ?? "{}", column: "messages.metadata"),
            raw: row.bytes(at: 21),
            decision: row.string(at: 22).map { type in
                MessageDecision(inquiryType: type, confidence: row.double(at: 23) ?? 0, queue: row.string(at: 24),
                                priority: row.int64(at: 25).map { Int($0) },
                                details: row.isNull(at: 26) ? Array("{}".utf8) : row.bytes(at: 26))
            })
        self.init(id: id, contactID: row.string(at: 5) ?? "", conversationID: row.string(at: 6) ?? "",
                  direction: direction, receivedAt: Date(storeMilliseconds: row.int64(at: 20) ?? 0), message: message)
    }
}
