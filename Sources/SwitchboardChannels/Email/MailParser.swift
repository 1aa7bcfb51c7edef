/// Reads one raw mail (RFC 5322 with MIME, RFC 2045–2049) into a `MailMessage`.
///
/// Pure: bytes in, value out, no I/O and no shared state, so the same bytes always give the same
/// message and any number of threads may parse at once. Broken but readable mail is read (the
/// damage is listed in `MailMessage.defects`); only crossed limits and bytes that are not a mail
/// at all throw, and the adapter then quarantines the raw bytes with the error.
public enum MailParser {
    public static func parse(_ raw: [UInt8], limits: MailParseLimits = .default) throws(MailParseError) -> MailMessage {
        if raw.isEmpty {
            throw MailParseError(code: .empty, place: "0", message: "the mail is empty", hint: "the mailbox delivered no bytes")
        }
        if raw.count > limits.maxMessageBytes {
            throw MailParseError(code: .messageTooLarge, place: "0",
                                 message: "the mail has \(raw.count) bytes, more than \(limits.maxMessageBytes)",
                                 hint: "raise max_message_bytes if such mail is legitimate")
        }
        let result: Result<MailMessage, MailParseError> = raw.withUnsafeBufferPointer { buffer in
            var parser = MIMETreeParser(bytes: buffer, limits: limits)
            do throws(MailParseError) {
                let top = try parser.parseEntity(0..<buffer.count, path: "0", depth: 0, defaultType: "text/plain", isTop: true)
                return .success(parser.assemble(top))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension MIMETreeParser {
    /// The message fields from the top headers, the text and the attachments from the tree.
    mutating func assemble(_ top: MIMEEntity) -> MailMessage {
        let headers = top.headers
        var message = MailMessage(headers: headers.fields)
        message.messageID = headers.value("message-id").flatMap { MailThreading.messageIDs(in: $0).first }
        message.inReplyTo = headers.value("in-reply-to").map(MailThreading.messageIDs(in:)) ?? []
        message.references = headers.values("references").flatMap(MailThreading.messageIDs(in:))
        message.authors = headers.values("from").flatMap(AddressParser.parse)
        message.sender = headers.value("sender").flatMap { AddressParser.parse($0).first }
        message.from = message.authors.first ?? message.sender
        message.replyTo = headers.values("reply-to").flatMap(AddressParser.parse)
        message.to = headers.values("to").flatMap(AddressParser.parse)
        message.cc = headers.values("cc").flatMap(AddressParser.parse)
        message.subject = headers.value("subject").map { subject in
            EncodedWords.decode(subject).trimmedWhitespace
        }
        message.date = headers.value("date").flatMap(MailDate.parse)
        let declared = MIMEParameters.parse(headers.value("content-type") ?? "")
        message.automation = MailAutomation.detect(value: headers.value, contentType: declared.value,
                                                   reportType: declared["report-type"])

        var body = BodyParts()
        collect(top, into: &body, inAlternative: false)
        let plain = body.texts.joined(separator: "\n")
        message.html = body.htmls.isEmpty ? nil : body.htmls.joined(separator: "\n")
        if !plain.allSatisfy(\.isWhitespace) || message.html == nil {
            message.text = plain
            message.textSource = body.texts.isEmpty ? .none : .plain
        } else if let html = message.html {
            message.text = HTMLText.text(from: html)
            message.textSource = .html
        }
        message.attachments = body.attachments
        message.defects = defects
        return message
    }
}
