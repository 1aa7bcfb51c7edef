import Foundation

extension SMTPMail {
    /// Why a mail cannot be rendered: an address that cannot go into a header or envelope.
    public struct RenderError: Error, Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var description: String { "\(field): \(message)" }
    }

    /// The mail as RFC 5322 bytes with CRLF line ends: headers, then a text/plain body, or a
    /// multipart/alternative of text and HTML (both UTF-8; 7bit when the text allows, else
    /// quoted-printable). Deterministic for the same values.
    public func rendered() throws(RenderError) -> [UInt8] {
        try validate()
        var lines: [String] = []
        lines.append(SMTPEncoding.addressField("From", [from]))
        if !to.isEmpty { lines.append(SMTPEncoding.addressField("To", to)) }
        if !cc.isEmpty { lines.append(SMTPEncoding.addressField("Cc", cc)) }
        if let replyTo { lines.append(SMTPEncoding.addressField("Reply-To", [replyTo])) }
        lines.append(SMTPEncoding.headerField("Subject", subject))
        lines.append("Date: " + SMTPEncoding.date(date))
        lines.append("Message-ID: <\(messageID)>")
        if let inReplyTo { lines.append(SMTPEncoding.messageIDField("In-Reply-To", [inReplyTo])) }
        if !references.isEmpty { lines.append(SMTPEncoding.messageIDField("References", references)) }
        if isAutomatic {
            lines.append("Auto-Submitted: auto-replied")
            lines.append("X-Auto-Response-Suppress: All")
        }
        for (name, value) in extraHeaders { lines.append(SMTPEncoding.headerField(name, value)) }
        lines.append("MIME-Version: 1.0")

        var out = lines.joined(separator: "\r\n") + "\r\n"
        if let html {
            let boundary = "=_sb_" + String(EmailAdapterMessageKey.sha256Hex(Array(messageID.utf8)).prefix(24))
            out += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
            out += "This is a multipart message in MIME format.\r\n"
            out += "--\(boundary)\r\n" + Self.part(text, subtype: "plain", forceQP: true)
            out += "--\(boundary)\r\n" + Self.part(html, subtype: "html", forceQP: true)
            out += "--\(boundary)--\r\n"
        } else {
            out += Self.part(text, subtype: "plain", forceQP: false)
        }
        return Array(out.utf8)
    }

    /// Content-Type, Content-Transfer-Encoding, blank line, body (ending in CRLF).
    static func part(_ body: String, subtype: String, forceQP: Bool) -> String {
        var head = "Content-Type: text/\(subtype); charset=utf-8\r\n"
        let content: String
        if !forceQP && SMTPEncoding.isSevenBitSafe(body) {
            head += "Content-Transfer-Encoding: 7bit\r\n"
            content = SMTPEncoding.crlfLines(body)
        } else {
            head += "Content-Transfer-Encoding: quoted-printable\r\n"
            content = SMTPEncoding.quotedPrintable(body)
        }
        return head + "\r\n" + content + (content.hasSuffix("\r\n") ? "" : "\r\n")
    }

    private func validate() throws(RenderError) {
        func check(_ address: MailAddress, _ field: String) throws(RenderError) {
            let a = address.address
            let parts = a.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                  a.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"<>()[],;:\\\"".unicodeScalars.contains($0) })
            else {
                throw RenderError(field: field, message: "\(a.debugDescription) is not an address this sender can use (ASCII local@domain)")
            }
        }
        try check(from, "From")
        for a in to { try check(a, "To") }
        for a in cc { try check(a, "Cc") }
        for a in bcc { try check(a, "Bcc") }
        if let replyTo { try check(replyTo, "Reply-To") }
        if to.isEmpty && cc.isEmpty && bcc.isEmpty { throw RenderError(field: "To", message: "the mail has no recipient") }
        for id in [messageID] + references + (inReplyTo.map { [$0] } ?? [])
            where id.isEmpty || id.contains(where: { $0 == "<" || $0 == ">" || $0.isWhitespace }) || !id.contains("@") {
            throw RenderError(field: "Message-ID", message: "\(id.debugDescription) is not a message id (left@right, no brackets)")
        }
        for (name, _) in extraHeaders
            where name.isEmpty || !name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != ":" }) {
            throw RenderError(field: name, message: "is not a header name")
        }
    }
}
