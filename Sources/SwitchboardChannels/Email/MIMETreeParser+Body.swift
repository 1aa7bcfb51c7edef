/// What the body walk finds: text parts, HTML parts, and everything else as attachments.
struct BodyParts {
    var texts: [String] = []
    var htmls: [String] = []
    var attachments: [MailAttachment] = []
}

/// Choosing the readable body.
///
/// - `multipart/alternative`: the first alternative with plain text gives the text, the last one
///   with HTML gives the HTML (RFC 2046 puts the richest last); other text renderings
///   (`text/enriched`) are dropped, non-text leaves inside (inline images) are attachments.
/// - `multipart/related`: the root (the `start` Content-ID, else the first part) is read as a
///   body; the other parts are attachments.
/// - `multipart/mixed` and every other multipart: parts in order. Inline text parts after the first
///   are appended to it when they have no file name (Apple Mail's text–image–text, a mailing
///   list's footer); with a file name they are attachments.
/// - `Content-Disposition: attachment` always makes an attachment; `message/*` parts are
///   attachments kept whole (a forwarded mail is not read as this mail's text).
extension MIMETreeParser {
    mutating func collect(_ entity: MIMEEntity, into body: inout BodyParts, inAlternative: Bool) {
        if entity.isMultipart && !entity.children.isEmpty {
            switch entity.contentType {
            case "multipart/alternative":
                var texts: [String]?
                var htmls: [String]?
                for child in entity.children {
                    var inner = BodyParts()
                    collect(child, into: &inner, inAlternative: true)
                    if texts == nil, inner.texts.contains(where: { !$0.allSatisfy(\.isWhitespace) }) { texts = inner.texts }
                    if !inner.htmls.isEmpty { htmls = inner.htmls }
                    body.attachments.append(contentsOf: inner.attachments)
                }
                body.texts.append(contentsOf: texts ?? [])
                body.htmls.append(contentsOf: htmls ?? [])
            case "multipart/related":
                let start = entity.typeParameters["start"].map(MailThreading.stripAngles)
                let rootIndex = start.flatMap { start in entity.children.firstIndex { $0.contentID == start } } ?? 0
                for (index, child) in entity.children.enumerated() {
                    if index == rootIndex {
                        collect(child, into: &body, inAlternative: inAlternative)
                    } else {
                        collectAttachments(child, into: &body)
                    }
                }
            default:
                for child in entity.children {
                    collect(child, into: &body, inAlternative: false)
                }
            }
            return
        }
        let type = entity.contentType
        if !entity.isAttachmentDisposition && !type.hasPrefix("message/") {
            if type == "text/plain" || type == "text/html" {
                let isHTML = type == "text/html"
                let existing = isHTML ? body.htmls : body.texts
                if existing.isEmpty || entity.filename == nil {
                    let text = decodeText(entity)
                    if isHTML { body.htmls.append(text) } else { body.texts.append(text) }
                    return
                }
            } else if inAlternative && type.hasPrefix("text/") {
                return  // another rendering of the same text
            }
        }
        body.attachments.append(attachment(entity))
    }

    private mutating func collectAttachments(_ entity: MIMEEntity, into body: inout BodyParts) {
        if entity.isMultipart && !entity.children.isEmpty {
            for child in entity.children { collectAttachments(child, into: &body) }
        } else {
            body.attachments.append(attachment(entity))
        }
    }

    private func bodyBuffer(_ entity: MIMEEntity) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[entity.body])
    }

    private func transferDecoded(_ entity: MIMEEntity) -> [UInt8] {
        let raw = bodyBuffer(entity)
        switch entity.transferEncoding {
        case "base64": return TransferDecoding.base64(raw)
        case "quoted-printable": return TransferDecoding.quotedPrintable(raw)
        default: return Array(raw)
        }
    }

    /// A text part's characters, `\n` line ends, format=flowed joined (RFC 3676).
    mutating func decodeText(_ entity: MIMEEntity) -> String {
        var decoded = transferDecoded(entity)
        if decoded.count > limits.maxTextBytes {
            decoded.removeSubrange(limits.maxTextBytes...)
            defects.append(MailDefect(code: "text_truncated", place: entity.path))
        }
        let charset = entity.typeParameters["charset"]
        if let charset, case .iconv(let name) = Charsets.decoder(for: charset), !Charsets.canOpen(name) {
            defects.append(MailDefect(code: "unknown_charset", place: entity.path))
        }
        var text = Charsets.decode(decoded, charset: charset)
        text = Self.normalizingLineBreaks(text)
        if entity.typeParameters["format"]?.lowercased() == "flowed" {
            text = FlowedText.unflow(text, deleteSpace: entity.typeParameters["delsp"]?.lowercased() == "yes")
        }
        return text
    }

    static func normalizingLineBreaks(_ text: String) -> String {
        guard text.utf8.contains(0x0D) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var previousCR = false
        for byte in text.utf8 {
            if byte == 0x0D {
                output.append(0x0A)
                previousCR = true
                continue
            }
            if byte == 0x0A && previousCR {
                previousCR = false
                continue
            }
            previousCR = false
            output.append(byte)
        }
        return String(decoding: output, as: UTF8.self)
    }

    mutating func attachment(_ entity: MIMEEntity) -> MailAttachment {
        let raw = bodyBuffer(entity)
        let cap = limits.maxAttachmentBytes
        var data: [UInt8]
        let size: Int
        switch entity.transferEncoding {
        case "base64":
            if raw.count / 4 * 3 > cap {
                size = TransferDecoding.base64Count(raw)
                data = size <= cap ? TransferDecoding.base64(raw) : []
            } else {
                data = TransferDecoding.base64(raw)
                size = data.count
            }
        case "quoted-printable":
            data = TransferDecoding.quotedPrintable(raw)
            size = data.count
        default:
            size = raw.count
            data = size <= cap ? Array(raw) : []
        }
        let complete = size <= cap
        if !complete {
            data = []
            defects.append(MailDefect(code: "attachment_bytes_not_kept", place: entity.path))
        }
        return MailAttachment(name: entity.filename, contentType: entity.contentType, disposition: entity.disposition,
                              contentID: entity.contentID, size: size, data: data, isDataComplete: complete,
                              partNumber: entity.path)
    }
}
