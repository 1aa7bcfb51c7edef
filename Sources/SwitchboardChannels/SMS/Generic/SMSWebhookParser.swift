import Foundation
import SwitchboardCore

/// The generic JSON SMS webhook's body → `InboundMessage`. The default shape:
///
///     {"id":"gw-123","from":"+4915112345678","to":"+4930123456","text":"Hello",
///      "sent_at":"2026-11-22T09:15:00Z",
///      "media":[{"url":"https://gw.example/m/1.jpg","content_type":"image/jpeg"}]}
///
/// Field names are configurable as dotted paths (`"id": "message.id"`), so other providers'
/// and in-house gateways' bodies map without code. Pure; tested as a table.
public struct SMSWebhookParser: Sendable {
    /// Where each field is in the body.
    public struct FieldMap: Sendable, Hashable {
        public var id = "id"
        public var from = "from"
        public var to = "to"
        public var text = "text"
        public var sentAt = "sent_at"
        public var media = "media"
        public init() {}

        public static let keys = ["id", "from", "to", "text", "sent_at", "media"]
    }

    public var adapterID: String
    public var defaultRegion: String?
    public var fields: FieldMap

    public init(adapterID: String, defaultRegion: String?, fields: FieldMap = FieldMap()) {
        self.adapterID = adapterID
        self.defaultRegion = defaultRegion
        self.fields = fields
    }

    public func parse(_ body: [UInt8]) -> Result<InboundMessage, SMSWebhookError> {
        let value: JSONValue
        do {
            value = try JSONParser().parse(body)
        } catch {
            return .failure(SMSWebhookError(field: "body", message: "is not valid JSON: \(error)"))
        }
        return parse(value, raw: body)
    }

    public func parse(_ value: JSONValue, raw: [UInt8]) -> Result<InboundMessage, SMSWebhookError> {
        guard case .object = value else { return .failure(SMSWebhookError(field: "body", message: "must be a JSON object")) }
        guard let id = Self.scalar(value, fields.id), !id.isEmpty else {
            return .failure(SMSWebhookError(field: fields.id, message: "is missing"))
        }
        guard id.utf8.count <= 200 else { return .failure(SMSWebhookError(field: fields.id, message: "is longer than 200 bytes")) }
        guard let from = Self.scalar(value, fields.from), !from.isEmpty else {
            return .failure(SMSWebhookError(field: fields.from, message: "is missing"))
        }
        let text = Self.scalar(value, fields.text) ?? ""
        var sentAt: Date?
        if let sentText = Self.lookup(value, fields.sentAt) {
            switch sentText {
            case .string(let s): sentAt = RFC3339.parse(s) ?? Double(s).map { Date(timeIntervalSince1970: $0) }
            case .int, .double: sentAt = sentText.doubleValue.map { Date(timeIntervalSince1970: $0 > 1e11 ? $0 / 1000 : $0) }
            default: break
            }
        }
        var attachments: [Attachment] = []
        if case .array(let items)? = Self.lookup(value, fields.media) {
            for item in items.prefix(20) {
                guard let url = item["url"]?.stringValue, !url.isEmpty else { continue }
                attachments.append(Attachment(name: item["name"]?.stringValue, contentType: item["content_type"]?.stringValue ?? "application/octet-stream",
                                              size: item["size"]?.intValue ?? 0, url: url))
            }
        }
        var metadata = ["provider": "webhook"]
        var attributes: [String: String] = [:]
        if let keyword = SMSKeyword.detect(text) {
            metadata["sms_keyword"] = keyword.rawValue
            attributes = keyword.contactAttributes
        }
        let recipient = Self.scalar(value, fields.to).map { (try? PhoneNumber.e164($0, defaultRegion: defaultRegion).get()) ?? $0 }
        return .success(InboundMessage(channel: .sms, adapterID: adapterID, externalID: id,
                                       sender: PhoneNumber.senderIdentity(from, defaultRegion: defaultRegion),
                                       recipient: recipient, text: text, attachments: attachments, sentAt: sentAt,
                                       contactAttributes: attributes, metadata: metadata, raw: raw))
    }

    /// The value at a dotted path.
    static func lookup(_ value: JSONValue, _ path: String) -> JSONValue? {
        var current: JSONValue? = value
        for part in path.split(separator: ".") {
            current = current?[String(part)]
        }
        if case .null? = current { return nil }
        return current
    }

    /// A string or number at a path, as text.
    static func scalar(_ value: JSONValue, _ path: String) -> String? {
        switch lookup(value, path) {
        case .string(let s)?: s
        case .int(let i)?: String(i)
        default: nil
        }
    }
}
