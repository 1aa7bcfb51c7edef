import SwitchboardCore

/// The dedupe key (`external_id`) of an inbound mail in the store.
///
/// The store dedupes on (adapter, external id). UIDVALIDITY:UID alone would not survive a
/// UIDVALIDITY change (the same mail gets a new UID), so the key is the mail's own identity:
///
/// - `mid:<Message-ID>#<fingerprint>`: the normalized Message-ID (as `MailThreading.key(for:)`)
///   and the first 12 hex digits of SHA-256 over the Date and From header values. The same mail
///   seen again (after a UIDVALIDITY change, an interrupted fetch, or delivered twice into the
///   mailbox through two addresses) has the same key; a sender that reuses one Message-ID for
///   different mails (it happens with broken mailers) still gets its mails stored, because their
///   Date differs.
/// - `mid-sha256:<hex>#<fingerprint>` when the Message-ID is longer than 200 bytes.
/// - `sha256:<hex of the raw bytes>` for a mail without a Message-ID: identical bytes are the
///   same mail.
///
/// UIDVALIDITY:UID is kept in the message's metadata (`imap_uid`) and in the checkpoint, which
/// is what keeps the adapter from fetching a committed mail again in the first place.
public enum EmailAdapterMessageKey {
    public static func externalID(for mail: MailMessage, raw: [UInt8]) -> String {
        guard let messageID = mail.messageID, let key = MailThreading.key(for: messageID) else {
            return "sha256:" + hex(HMAC.digest(.sha256, raw))
        }
        let fingerprintSource = (mail.header("Date") ?? "") + "\n" + (mail.header("From") ?? "")
        let fingerprint = String(hex(HMAC.digest(.sha256, Array(fingerprintSource.utf8))).prefix(12))
        if key.utf8.count > 200 {
            return "mid-sha256:" + hex(HMAC.digest(.sha256, Array(key.utf8))) + "#" + fingerprint
        }
        return "mid:" + key + "#" + fingerprint
    }

    /// Lower-case hex SHA-256 (OpenSSL), as `Attachment.sha256` holds it.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(HMAC.digest(.sha256, bytes))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
