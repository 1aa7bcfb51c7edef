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

    /// A text part's characters, `\n` line ends, format=flowed joined (RFC 3676).
    mutating func decodeText(_ entity: MIMEEntity) -> String {
        let charset = entity.typeParameters["charset"]
        let decoder = Charsets.decoder(for: charset)
        // Line breaks are normalized while decoding when the charset allows it (one pass less).
        let asciiCompatible = decoder.isASCIICompatible
        let raw = bodyBuffer(entity)
        var decoded: [UInt8]
        switch entity.transferEncoding {
        case "base64": decoded = TransferDecoding.base64(raw)
        case "quoted-printable": decoded = TransferDecoding.quotedPrintable(raw, keepCR: !asciiCompatible)
        default: decoded = asciiCompatible ? TransferDecoding.copyNormalizingLineBreaks(raw) : Array(raw)
        }
        if decoded.count > limits.maxTextBytes {
            decoded.removeSubrange(limits.maxTextBytes...)
            defects.append(MailDefect(code: "text_truncated", place: entity.path))
        }
        if case .iconv(let name) = decoder, !Charsets.canOpen(name) {
            defects.append(MailDefect(code: "unknown_charset", place: entity.path))
        }
        var text: String
        if asciiCompatible {
            Self.normalizeLineBreaks(&decoded)  // lone CRs left by QP soft breaks, base64 bodies
            text = Charsets.decode(decoded, charset: charset)
        } else {
            text = Self.normalizingLineBreaks(Charsets.decode(decoded, charset: charset))
        }
        if entity.typeParameters["format"]?.lowercased() == "flowed" {
            text = FlowedText.unflow(text, deleteSpace: entity.typeParameters["delsp"]?.lowercased() == "yes")
        }
        return text
    }

    /// CRLF and lone CR become LF, in place (for ASCII-compatible bytes).
    static func normalizeLineBreaks(_ bytes: inout [UInt8]) {
        guard bytes.contains(0x0D) else { return }
        let kept = bytes.withUnsafeMutableBufferPointer { buffer in
            TransferDecoding.normalizeLineBreaks(from: UnsafeBufferPointer(buffer), into: buffer)
        }
        bytes.removeSubrange(kept...)
    }

    static func normalizingLineBreaks(_ text: String) -> String {
        var text = text
        return text.withUTF8 { input -> String? in
            guard input.contains(0x0D) else { return nil }
            return String(unsafeUninitializedCapacity: input.count) { output in
                TransferDecoding.normalizeLineBreaks(from: input, into: output)
            }
        } ?? text
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
