import Foundation
import SwitchboardChannels
import SwitchboardCore
import SwitchboardStore

/// What a reply became: the stored outbound message and the outbox row that delivers it.
public struct ReplyReceipt: Sendable, Hashable {
    public var messageID: String
    public var outboxID: String
    public var conversationID: String
    public var channel: Channel
    public var adapterID: String
    public var recipient: String
    /// True when the idempotency key was used before: nothing new was stored.
    public var duplicate: Bool
    /// Why the channel differs from the one asked for (an SMS opt-out answered by email), if it does.
    public var note: String?
}

/// Why a reply was not queued, ready for an HTTP answer: status, a stable code, the message,
/// and what to do about it.
public struct ReplyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var hint: String?

    public init(status: Int, code: String, message: String, hint: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String { "\(code): \(message)" + (hint.map { " (\($0))" } ?? "") }
}

/// Answers a conversation: plans where the answer goes and stores it in the outbox, which then
/// delivers it (retried, dead-lettered, visible to admins). Used by the local socket's
/// `POST /v1/conversations/{id}/replies` and by the agent API.
///
/// Planning, in order:
/// - **channel**: the one asked for, else the channel of the customer's latest message. SMS to a
///   contact whose `sms_opt_out` is "true" goes to the contact's email instead, or is refused (409).
/// - **adapter**: the adapter that received the customer's latest message on that channel, if it
///   can send; else the first adapter in adapters.json for that channel that can (an IMAP adapter
///   with `smtp`, a Twilio or Vonage adapter with `send`).
/// - **recipient**: the customer's identity on that channel as their latest message there gave it
///   (email: its Reply-To when set; SMS: the E.164 number), else the contact's identity of that kind.
/// - **email threading**: `Re: <subject>`, In-Reply-To and References from the stored mail answered,
///   and a Message-ID made from the outbox id (recorded as a thread key, so the customer's answer
///   comes back into this conversation).
///
/// The idempotency key makes retries safe: the same key in the same conversation answers the
/// original reply (`duplicate == true`) and stores nothing.
public final class ReplyService: Sendable {
    let store: Store
    let senders: @Sendable (String) -> (any OutboundSender)?
    /// Enabled adapters in adapters.json order.
    let adapters: @Sendable () -> [(id: String, channel: Channel)]
    let enqueued: @Sendable () -> Void

    /// Largest reply text, in bytes of UTF-8.
    public static let maxTextBytes = 256 << 10

    init(store: Store, senders: @escaping @Sendable (String) -> (any OutboundSender)?,
         adapters: @escaping @Sendable () -> [(id: String, channel: Channel)], enqueued: @escaping @Sendable () -> Void) {
        self.store = store
        self.senders = senders
        self.adapters = adapters
        self.enqueued = enqueued
    }

    /// Queues an agent's answer to conversation `conversationID` and returns after the COMMIT.
    /// - Parameters:
    ///   - author: the agent id (kept on the message as `author`).
    ///   - text: the plain text (required; the SMS body, the email's text part).
    ///   - html: an HTML alternative for email (ignored on other channels).
    ///   - subject: the email subject; default `Re: ` + the subject of the mail answered.
    ///   - channel: where to answer; default the channel of the customer's latest message.
    ///   - idempotencyKey: the client's key (`Idempotency-Key`); a repeat returns the original.
    public func reply(conversationID: String, author: String, text: String, html: String? = nil, subject: String? = nil,
                      channel: Channel? = nil, idempotencyKey: String? = nil) async throws(ReplyError) -> ReplyReceipt {
        try Self.validate(author: author, text: text, html: html, subject: subject, idempotencyKey: idempotencyKey)
        let key = "reply:\(conversationID):" + (idempotencyKey ?? SortableID.make("rk"))
        let planned: Result<(OutboxRequest, String?), ReplyError> = await store.read { [self] _ in
            Result { () throws(ReplyError) in
                try plan(conversationID: conversationID, channel: channel, answering: nil, author: author,
                         text: { _ in text }, html: html, subject: subject, isAutomatic: false, key: key)
            }
        }
        let (request, note) = try planned.get()
        let outcome: Result<OutboxEnqueued, OutboxRefusal>
        do {
            outcome = try await store.enqueueOutbound(request)
        } catch {
            throw ReplyError(status: 503, code: "store_failed", message: "the reply could not be stored: \(error.message)",
                             hint: "retry with the same Idempotency-Key")
        }
        switch outcome {
        case .success(let stored):
            if !stored.duplicate { enqueued() }
            return ReplyReceipt(messageID: stored.messageID, outboxID: stored.outboxID, conversationID: conversationID,
                                channel: request.message.channel, adapterID: request.message.adapterID,
                                recipient: request.message.recipient, duplicate: stored.duplicate, note: note)
        case .failure(.noConversation(let id)):
            throw ReplyError(status: 404, code: "not_found", message: "no conversation \(id)")
        case .failure(.keyInUse(let key)):
            throw ReplyError(status: 409, code: "idempotency_key_in_use", message: "the idempotency key \(key) is used by another reply",
                             hint: "use a new Idempotency-Key for a new reply")
        }
    }

    static func validate(author: String, text: String, html: String?, subject: String?, idempotencyKey: String?) throws(ReplyError) {
        func invalid(_ message: String, _ hint: String? = nil) -> ReplyError {
            ReplyError(status: 400, code: "invalid_reply", message: message, hint: hint)
        }
        if author.isEmpty || author.utf8.count > 128 || author.contains(where: { $0.isNewline }) {
            throw invalid("author must be 1 to 128 characters on one line", "the agent id, e.g. \"agent-7\"")
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw invalid("text is empty", "send the plain text of the answer") }
        if text.utf8.count + (html?.utf8.count ?? 0) > maxTextBytes { throw invalid("text and html are longer than \(maxTextBytes) bytes") }
        if let subject, subject.contains(where: { $0.isNewline }) || subject.utf8.count > 998 { throw invalid("subject must be one line") }
        if let key = idempotencyKey, key.isEmpty || key.utf8.count > 200 || key.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            throw invalid("Idempotency-Key must be 1 to 200 visible characters")
        }
    }

    // MARK: Planning

    /// Plans an answer in conversation `conversationID` (blocking store reads: call it on a reader
    /// queue). `answering` is the message answered when it is known (an automatic answer);
    /// `text` gives the body for the channel finally chosen. Also returns a note when the channel
    /// was changed (an opt-out).
    func plan(conversationID: String, channel requested: Channel?, answering: StoredMessage?, author: String,
              text: (Channel) -> String, html: String?, subject: String?, isAutomatic: Bool, key: String) throws(ReplyError)
        -> (OutboxRequest, String?) {
        func storeFailed(_ error: StoreError) -> ReplyError {
            ReplyError(status: 503, code: "store_failed", message: "the conversation could not be read: \(error.message)")
        }
        let messages: [StoredMessage]
        var contact: Contact?
        do {
            messages = try store.messages(conversationID: conversationID, limit: 500)
            if let last = messages.last { contact = try store.contact(id: last.contactID) }
        } catch {
            throw storeFailed(error)
        }
        guard let last = messages.last, let contact else {
            throw ReplyError(status: 404, code: "not_found", message: "no conversation \(conversationID)")
        }
        let inbound = messages.filter { $0.direction == .inbound }
        var channel = requested ?? answering?.message.channel ?? inbound.last?.message.channel ?? last.message.channel
        var note: String?
        if channel == .sms && contact.attributes[SMSKeyword.optOutAttribute] == "true" {
            guard contact.identities.contains(where: { $0.kind == .email }) else {
                throw ReplyError(status: 409, code: "opted_out",
                                 message: "the customer opted out of SMS (STOP) and has no email address to answer instead",
                                 hint: "answer on another channel the customer uses, or wait until they text START")
            }
            channel = .email
            note = "the customer opted out of SMS (STOP): answered by email"
        }
        // The message the answer refers to on this channel: the one answered, else the latest there.
        let base = answering.flatMap { $0.message.channel == channel ? $0 : nil }
            ?? inbound.last { $0.message.channel == channel }

        var candidates: [String] = []
        if let base { candidates.append(base.message.adapterID) }
        candidates += inbound.reversed().filter { $0.message.channel == channel }.map(\.message.adapterID)
        candidates += adapters().filter { $0.channel == channel }.map(\.id)
        var chosen: (id: String, sender: any OutboundSender)?
        for id in candidates {
            if let sender = senders(id), sender.outboundChannel == channel {
                chosen = (id, sender)
                break
            }
        }
        guard let chosen else {
            throw ReplyError(status: 409, code: "no_sender", message: "no adapter can send on \(channel.rawValue)",
                             hint: channel == .email ? "add an smtp section to an imap adapter (docs/outbox.md)"
                                 : channel == .sms ? "add a send section to a twilio or vonage adapter (docs/outbox.md)"
                                 : "answer on email or sms")
        }

        let recipient: String
        switch channel {
        case .email:
            if let base {
                recipient = SMTPOutboundSender.answerAddress(replyTo: base.message.metadata["reply_to"], sender: base.message.sender.value)
            } else if let identity = contact.identities.first(where: { $0.kind == .email }) {
                recipient = identity.value
            } else {
                throw ReplyError(status: 409, code: "no_recipient", message: "the customer has no email address")
            }
        case .sms:
            if let base, base.message.sender.kind == .phone {
                recipient = base.message.sender.value
            } else if let identity = contact.identities.first(where: { $0.kind == .phone }) {
                recipient = identity.value
            } else {
                throw ReplyError(status: 409, code: "no_recipient", message: "the customer has no phone number")
            }
        default:
            throw ReplyError(status: 409, code: "no_sender", message: "answers on \(channel.rawValue) are not supported yet")
        }

        let outboxID = OutboxRequest.newOutboxID()
        var request = OutboxRequest(message: OutboundMessage(conversationID: conversationID, channel: channel, adapterID: chosen.id,
                                                             recipient: recipient, text: text(channel), author: author,
                                                             inReplyTo: answering?.id ?? base?.id, isAutomatic: isAutomatic),
                                    idempotencyKey: key, outboxID: outboxID)
        if channel == .email {
            let original = base?.message
            let threading = SMTPMail.replyThreading(toMessageID: original?.metadata["message_id"], references: original?.replyTo ?? [],
                                                    subject: original?.subject ?? inbound.last?.message.subject ?? "Your message")
            request.message.subject = subject ?? threading.subject
            request.message.html = html
            request.emailInReplyTo = threading.inReplyTo
            request.emailReferences = threading.references
            request.emailMessageID = chosen.sender.messageID(forOutboxID: outboxID).flatMap { MailThreading.key(for: $0) }
        }
        return (request, note)
    }
}
