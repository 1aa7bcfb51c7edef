import Foundation
import SwitchboardCore

/// Twilio's inbound SMS/MMS webhook parameters → `InboundMessage`. Pure; tested as a table.
///
/// `MessageSid` is the dedupe key (falling back to `SmsMessageSid` / `SmsSid`). `From` becomes
/// an E.164 phone identity (`whatsapp:` and other channel prefixes are taken off and kept in
/// metadata; short codes and alphanumeric senders become `external` identities `sms:<sender>`).
/// `MediaUrl{i}` / `MediaContentType{i}` become attachments (size 0: unknown until fetched).
/// STOP / START / HELP (or Twilio's own `OptOutType`) set the contact's `sms_opt_out`.
public struct TwilioWebhookParser: Sendable {
    public var adapterID: String
    public var defaultRegion: String?

    /// Twilio parameters worth keeping with the message (ids and routing facts, no secrets).
    static let keptParameters: [(slot: Int, key: String)] = [
        (Fields.Slot.accountSid, "account_sid"), (Fields.Slot.messagingServiceSid, "messaging_service_sid"),
        (Fields.Slot.numSegments, "num_segments"), (Fields.Slot.numMedia, "num_media"), (Fields.Slot.smsStatus, "sms_status"),
        (Fields.Slot.fromCountry, "from_country"), (Fields.Slot.fromCity, "from_city"), (Fields.Slot.fromState, "from_state"),
        (Fields.Slot.toCountry, "to_country"), (Fields.Slot.optOutType, "opt_out_type"), (Fields.Slot.waId, "wa_id"),
        (Fields.Slot.apiVersion, "api_version"),
    ]
    static let maxMedia = 10

    public init(adapterID: String, defaultRegion: String?) {
        self.adapterID = adapterID
        self.defaultRegion = defaultRegion
    }

    public func parse(_ parameters: FormParameters, raw: [UInt8]) -> Result<InboundMessage, SMSWebhookError> {
        let fields = Fields(parameters)
        let sid: String
        if let value = fields[Fields.Slot.messageSid], !value.isEmpty {
            sid = value
        } else if let value = fields[Fields.Slot.smsMessageSid], !value.isEmpty {
            sid = value
        } else if let value = fields[Fields.Slot.smsSid], !value.isEmpty {
            sid = value
        } else {
            return .failure(SMSWebhookError(field: "MessageSid", message: "is missing"))
        }
        guard sid.utf8.count <= 64, !ASCIIText.hasSpaceOrControl(sid) else {
            return .failure(SMSWebhookError(field: "MessageSid", message: "is not a Twilio message id"))
        }
        guard let from = fields[Fields.Slot.from], !from.isEmpty else {
            return .failure(SMSWebhookError(field: "From", message: "is missing"))
        }
        var metadata = [String: String](minimumCapacity: Self.keptParameters.count + 3)
        metadata["provider"] = "twilio"
        let (fromNumber, fromPrefix) = Self.splitChannelPrefix(from)
        if let fromPrefix { metadata["address_prefix"] = fromPrefix }
        let sender = PhoneNumber.senderIdentity(fromNumber, defaultRegion: defaultRegion)
        var recipient: String?
        if let to = fields[Fields.Slot.to], !to.isEmpty {
            let (toNumber, _) = Self.splitChannelPrefix(to)
            recipient = (try? PhoneNumber.e164(toNumber, defaultRegion: defaultRegion).get()) ?? toNumber
        }
        for (slot, key) in Self.keptParameters {
            if let value = fields[slot], !value.isEmpty { metadata[key] = Self.prefix(value, 200) }
        }
        let text = fields[Fields.Slot.body] ?? ""

        var attachments: [Attachment] = []
        let declared = Int(fields[Fields.Slot.numMedia] ?? "") ?? 0
        for i in 0..<min(max(declared, 0), Self.maxMedia) {
            guard let url = fields[Fields.Slot.mediaURL + i], !url.isEmpty else { continue }
            let type = fields[Fields.Slot.mediaContentType + i].flatMap { $0.isEmpty ? nil : $0 } ?? "application/octet-stream"
            attachments.append(Attachment(name: nil, contentType: type, size: 0, url: url))
        }

        var attributes: [String: String] = [:]
        if let keyword = SMSKeyword.fromOptOutType(fields[Fields.Slot.optOutType]) ?? SMSKeyword.detect(text) {
            metadata["sms_keyword"] = keyword.rawValue
            attributes = keyword.contactAttributes
        }
        let profileName = fields[Fields.Slot.profileName].flatMap { $0.isEmpty ? nil : Self.prefix($0, 200) }
        return .success(InboundMessage(channel: .sms, adapterID: adapterID, externalID: sid, sender: sender,
                                       senderName: profileName, recipient: recipient, text: text,
                                       attachments: attachments, contactAttributes: attributes,
                                       metadata: metadata, raw: raw))
    }

    /// `whatsapp:+1415…` → ("+1415…", "whatsapp"); a plain number has no prefix.
    static func splitChannelPrefix(_ address: String) -> (String, String?) {
        guard address.utf8.contains(UInt8(ascii: ":")), let colon = address.firstIndex(of: ":") else { return (address, nil) }
        let prefix = address[..<colon].lowercased()
        guard !prefix.isEmpty, prefix.allSatisfy({ $0.isLetter }), prefix != "tel", prefix != "sms" else { return (address, nil) }
        return (String(address[address.index(after: colon)...]), prefix)
    }
}
