/// A provider's delivery-status callback for an SMS we sent, normalised: which message (the
/// provider's id, as `SMSSendOutcome.accepted` returned it), what state it reached, and the
/// provider's error code. Callbacks are signed like inbound webhooks: Twilio's status callbacks
/// with `X-Twilio-Signature` (check with `TwilioSignature`), Vonage's delivery receipts with
/// `sig` (check with `VonageSignature`). Pure; the outbox applies `state` to its row.
public struct SMSDeliveryReceipt: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case queued, sent, delivered, undelivered, failed, unknown

        /// No later callback changes it.
        public var isFinal: Bool { self == .delivered || self == .undelivered || self == .failed }
    }

    public var provider: String
    public var providerMessageID: String
    public var state: State
    public var errorCode: String?
    /// The provider's own status word, kept for the record.
    public var providerStatus: String

    /// Twilio: `MessageSid`, `MessageStatus` (accepted, queued, sending, sent, delivered,
    /// undelivered, failed, read, canceled), `ErrorCode`.
    public static func twilio(_ parameters: FormParameters) -> SMSDeliveryReceipt? {
        guard let sid = parameters["MessageSid"] ?? parameters["SmsSid"], !sid.isEmpty,
              let status = parameters["MessageStatus"] ?? parameters["SmsStatus"] else { return nil }
        let state: State
        switch status.lowercased() {
        case "accepted", "queued", "scheduled": state = .queued
        case "sending", "sent": state = .sent
        case "delivered", "read": state = .delivered
        case "undelivered": state = .undelivered
        case "failed", "canceled": state = .failed
        default: state = .unknown
        }
        let error = parameters["ErrorCode"].flatMap { $0.isEmpty || $0 == "0" ? nil : $0 }
        return SMSDeliveryReceipt(provider: "twilio", providerMessageID: sid, state: state, errorCode: error, providerStatus: status)
    }

    /// Vonage SMS API delivery receipt: `messageId`, `status` (delivered, expired, failed,
    /// rejected, accepted, buffered, unknown), `err-code` ("0" = none).
    public static func vonage(_ parameters: FormParameters) -> SMSDeliveryReceipt? {
        guard let id = parameters["messageId"], !id.isEmpty, let status = parameters["status"] else { return nil }
        let state: State
        switch status.lowercased() {
        case "accepted", "buffered": state = .sent
        case "delivered": state = .delivered
        case "expired": state = .undelivered
        case "failed", "rejected": state = .failed
        default: state = .unknown
        }
        let error = parameters["err-code"].flatMap { $0.isEmpty || $0 == "0" ? nil : $0 }
        return SMSDeliveryReceipt(provider: "vonage", providerMessageID: id, state: state, errorCode: error, providerStatus: status)
    }
}
