import Foundation
import SwitchboardCore

/// How mail joins conversations and contacts.
///
/// A mail's own Message-ID is its thread key; the ids in References and In-Reply-To are the keys
/// it refers to, so the store puts a reply into the conversation of any earlier mail it names
/// (JWZ-style threading reduced to what a help desk needs). Keys are normalized: no angle
/// brackets, no white space, the domain part lower-cased (some servers change its case; the local
/// part is left alone as RFC 5322 requires). The contact identity is the normalized sender
/// address; Reply-To is kept as the answer address but never changes who the customer is.
public enum MailThreading {
    /// The mail's own key and the keys it refers to (References oldest first, then In-Reply-To;
    /// no duplicates, never its own key).
    public struct ThreadKeys: Sendable, Hashable {
        public var own: String?
        public var refersTo: [String]
    }

    public static func threadKeys(for mail: MailMessage) -> ThreadKeys {
        let own = mail.messageID.flatMap(key(for:))
        var seen = Set<String>()
        if let own { seen.insert(own) }
        var refers: [String] = []
        for id in mail.references + mail.inReplyTo {
            if let key = key(for: id), seen.insert(key).inserted { refers.append(key) }
        }
        return ThreadKeys(own: own, refersTo: refers)
    }

    /// The normalized key of one message id (with or without angle brackets), nil when empty.
    public static func key(for messageID: String) -> String? {
        var id = stripAngles(messageID)
        id.removeAll { $0.isWhitespace }
        guard !id.isEmpty else { return nil }
        if let at = id.lastIndex(of: "@") {
            id = id[..<at] + id[at...].lowercased()
        }
        return id
    }

    /// The message ids in a Message-ID, In-Reply-To or References value, without angle brackets.
    /// Tolerates missing brackets, commas, and the prose some mailers put in In-Reply-To
    /// (`<id@host> (John's message of Monday)`).
    public static func messageIDs(in value: String) -> [String] {
        let bytes = Array(value.utf8)
        var ids: [String] = []
        var index = 0
        var sawAngle = false
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else { index += 1; continue }
            sawAngle = true
            var end = index + 1
            while end < bytes.count && bytes[end] != UInt8(ascii: ">") { end += 1 }
            let inner = bytes[(index + 1)..<end]
            let closed = end < bytes.count
            if closed || !inner.contains(where: { $0 == 0x20 }) {
                let id = inner.filter { !isSpace($0) }
                if !id.isEmpty { ids.append(String(decoding: id, as: UTF8.self)) }
            }
            index = end + 1
        }
        if !sawAngle {
            for word in bytes.split(whereSeparator: { isSpace($0) || $0 == UInt8(ascii: ",") })
            where word.contains(UInt8(ascii: "@")) {
                ids.append(String(decoding: word, as: UTF8.self))
            }
        }
        return ids
    }

    static func stripAngles(_ value: String) -> String {
        var text = value.trimmedWhitespace
        if text.hasPrefix("<") { text.removeFirst() }
        if let close = text.firstIndex(of: ">") { text = String(text[..<close]) }
        return text.trimmedWhitespace
    }

    /// The contact identity: From (else Sender), normalized by the core's email rules.
    public static func senderIdentity(of mail: MailMessage) -> Result<Identity, IdentityError> {
        let candidates = (mail.authors + [mail.sender].compactMap { $0 }).map(\.address)
        var lastError = IdentityError(reason: "the mail has no From or Sender address")
        for address in candidates {
            switch Identity.normalized(kind: .email, value: address) {
            case .success(let identity): return .success(identity)
            case .failure(let error): lastError = error
            }
        }
        return .failure(lastError)
    }

    /// Maps a parsed mail to the channel-neutral message the pipeline stores.
    ///
    /// - `sender`: the normalized From address (the contact identity); `senderName` its name.
    /// - `recipient`: the first To address. `threadKey`: the own Message-ID key; `replyTo`: the
    ///   keys it refers to.
    /// - `metadata`: `message_id`, `reply_to` (the answer addresses when Reply-To is set),
    ///   `auto_submitted` (why the mail is automated), `in_reply_to`, `list_id`, `mime_defects`.
    /// - `attachmentHash` fills `Attachment.sha256` from the kept bytes (the adapter passes its
    ///   OpenSSL SHA-256); attachments whose bytes were not kept stay without a hash.
    ///
    /// Throws `noSender` when neither From nor Sender holds a usable address: such a mail is
    /// quarantined like any other unreadable one.
    public static func inboundMessage(from mail: MailMessage, adapterID: String, externalID: String, raw: [UInt8],
                                      attachmentHash: (([UInt8]) -> String?)? = nil) throws(MailParseError) -> InboundMessage {
        let sender: Identity
        switch senderIdentity(of: mail) {
        case .success(let identity): sender = identity
        case .failure(let error):
            throw MailParseError(code: .noSender, place: "From", message: "the sender address \(error.reason)",
                                 hint: "the mail is kept in quarantine; its raw bytes show who sent it")
        }
        let keys = threadKeys(for: mail)
        var metadata: [String: String] = [:]
        if let id = mail.messageID { metadata["message_id"] = id }
        if !mail.replyTo.isEmpty { metadata["reply_to"] = mail.replyTo.map(\.description).joined(separator: ", ") }
        if let automation = mail.automation { metadata["auto_submitted"] = automation.description }
        if let first = mail.inReplyTo.first { metadata["in_reply_to"] = first }
        if let list = mail.header("List-Id") { metadata["list_id"] = list }
        if !mail.defects.isEmpty { metadata["mime_defects"] = mail.defects.map(\.description).joined(separator: " ") }
        let attachments = mail.attachments.map { attachment -> Attachment in
            var core = attachment.coreAttachment
            if core.sha256 == nil, attachment.isDataComplete, let attachmentHash {
                core.sha256 = attachmentHash(attachment.data)
            }
            return core
        }
        let senderName = (mail.authors + [mail.sender].compactMap { $0 }).first { address in
            (try? Identity.normalized(kind: .email, value: address.address).get())?.value == sender.value
        }?.name
        return InboundMessage(channel: .email, adapterID: adapterID, externalID: externalID, sender: sender,
                              senderName: senderName, recipient: mail.to.first?.address, subject: mail.subject,
                              text: mail.text, html: mail.html, attachments: attachments, sentAt: mail.date,
                              threadKey: keys.own, replyTo: keys.refersTo, metadata: metadata, raw: raw)
    }
}
