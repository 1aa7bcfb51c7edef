import Foundation
import SwitchboardCore

/// One Vonage (SMS API) inbound message as sent, before concatenation: the fields the adapter
/// needs, read from GET query, form or flat JSON parameters. Pure; tested as a table.
public struct VonageInbound: Sendable, Hashable {
    /// `msisdn`: the sender, international digits without `+` (or an alphanumeric id).
    public var msisdn: String
    public var to: String?
    public var messageID: String
    public var text: String
    /// `text`, `unicode` or `binary`.
    public var type: String
    public var keyword: String?
    /// `message-timestamp`, UTC.
    public var sentAt: Date?
    public var concat: Concat?

    /// The concatenation fields of one part of a long message.
    public struct Concat: Sendable, Hashable {
        public var ref: String
        public var total: Int
        public var part: Int
    }

    /// The key that gathers the parts of one long message: sender, recipient and reference.
    public var concatKey: String? {
        guard let concat else { return nil }
        return "\(msisdn)|\(to ?? "")|\(concat.ref)"
    }

    public static let maxParts = 255

    public static func parse(_ parameters: FormParameters) -> Result<VonageInbound, SMSWebhookError> {
        guard let msisdn = parameters["msisdn"], !msisdn.isEmpty else {
            return .failure(SMSWebhookError(field: "msisdn", message: "is missing"))
        }
        guard let messageID = parameters["messageId"], !messageID.isEmpty else {
            return .failure(SMSWebhookError(field: "messageId", message: "is missing"))
        }
        guard messageID.utf8.count <= 64, !ASCIIText.hasSpaceOrControl(messageID) else {
            return .failure(SMSWebhookError(field: "messageId", message: "is not a Vonage message id"))
        }
        let type = parameters["type"].flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? "text"
        var text = parameters["text"] ?? ""
        if type == "binary" { text = "" }
        var concat: Concat?
        if parameters["concat"]?.lowercased() == "true" {
            guard let ref = parameters["concat-ref"], !ref.isEmpty, ref.utf8.count <= 32 else {
                return .failure(SMSWebhookError(field: "concat-ref", message: "is missing on a concatenated part"))
            }
            guard let total = Int(parameters["concat-total"] ?? ""), (1...maxParts).contains(total) else {
                return .failure(SMSWebhookError(field: "concat-total", message: "must be a number from 1 to \(maxParts)"))
            }
            guard let part = Int(parameters["concat-part"] ?? ""), (1...total).contains(part) else {
                return .failure(SMSWebhookError(field: "concat-part", message: "must be a number from 1 to concat-total"))
            }
            if total > 1 { concat = Concat(ref: ref, total: total, part: part) }
        }
        return .success(VonageInbound(msisdn: msisdn, to: parameters["to"].flatMap { $0.isEmpty ? nil : $0 },
                                      messageID: messageID, text: text, type: type,
                                      keyword: parameters["keyword"].flatMap { $0.isEmpty ? nil : $0 },
                                      sentAt: parameters["message-timestamp"].flatMap(parseTimestamp), concat: concat))
    }

    /// `2026-11-22 09:15:00` (UTC, as Vonage sends it), also with `T` or a trailing `Z`.
    static func parseTimestamp(_ text: String) -> Date? {
        let digits = text.filter(\.isNumber)
        guard digits.count == 14, let year = Int(digits.prefix(4)) else { return nil }
        func field(_ offset: Int) -> Int { Int(digits.dropFirst(offset).prefix(2)) ?? -1 }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = year
        components.month = field(4)
        components.day = field(6)
        components.hour = field(8)
        components.minute = field(10)
        components.second = field(12)
        guard components.isValidDate else { return nil }
        return components.date
    }

    /// The message for the store. `text` and `partIDs` are given for a reassembled message;
    /// its dedupe key is then the id of its first part.
    public func message(adapterID: String, defaultRegion: String?, raw: [UInt8],
                        text overrideText: String? = nil, metadataExtra: [String: String] = [:]) -> InboundMessage {
        // msisdn is always international (country code first), never national.
        let international = ASCIIText.isAllDigits(msisdn) ? "+" + msisdn : msisdn
        let sender = PhoneNumber.senderIdentity(international, defaultRegion: defaultRegion)
        var metadata: [String: String] = ["provider": "vonage", "type": type]
        if let keyword { metadata["keyword"] = String(keyword.prefix(64)) }
        metadata.merge(metadataExtra) { _, new in new }
        let body = overrideText ?? text
        var attributes: [String: String] = [:]
        if let detected = SMSKeyword.detect(body) {
            metadata["sms_keyword"] = detected.rawValue
            attributes = detected.contactAttributes
        }
        var recipient: String?
        if let to {
            recipient = ASCIIText.isAllDigits(to) ? "+" + to : to
        }
        return InboundMessage(channel: .sms, adapterID: adapterID, externalID: messageID, sender: sender,
                              recipient: recipient, text: body, sentAt: sentAt, contactAttributes: attributes,
                              metadata: metadata, raw: raw)
    }
}
