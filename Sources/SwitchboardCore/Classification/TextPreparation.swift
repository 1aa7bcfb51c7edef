/// Cuts a message down to what the customer wrote this time, before anything reads it: the
/// quoted history of an e-mail thread and a signature say nothing about the new inquiry, and a
/// quoted agent reply full of "refund" would pull every follow-up into billing.
///
/// Heuristics, line by line (e-mail, web forms, voice transcripts and unknown channels only;
/// SMS, chat and social posts are short and are left alone):
/// - lines starting with `>` are dropped;
/// - the rest is cut at a reply header ("On … wrote:", "Am … schrieb …:", "Le … a écrit :",
///   "El … escribió:", also wrapped over two lines), at "-----Original Message-----" and its
///   translations, at a forwarded-message marker, and at an Outlook header block ("From:" or
///   "Von:" followed within five lines by "Sent:", "Date:", "To:", "Gesendet:", …);
/// - the signature is cut at `-- `, at "Sent from my iPhone" and its relatives, at a confidentiality
///   disclaimer, and at a closing line ("Best regards,", "Thanks,", "Mit freundlichen Grüßen")
///   followed by at most six short lines;
/// - if nothing would be left, the original text is kept.
/// A subject is cleaned of `Re:`/`Fwd:`/`AW:` prefixes and put in front of the body.
public enum TextPreparation {
    /// Longer bodies are cut (in UTF-8 bytes) before preparation: the start says what it is about.
    public static let maximumBytes = 16_384

    public static func prepare(text: String, subject: String? = nil, channel: Channel = .other) -> String {
        var body = text
        if body.utf8.count > maximumBytes {
            body = String(decoding: body.utf8.prefix(maximumBytes), as: UTF8.self)
        }
        switch channel {
        case .sms, .chat, .social:
            break
        case .email, .web, .voice, .other:
            body = stripQuotesAndSignature(body)
        }
        guard let subject else { return body }
        let cleaned = cleanSubject(subject)
        if cleaned.isEmpty { return body }
        return body.isEmpty ? cleaned : joinedByLineFeed(cleaned, body)
    }

    /// `first + "\n" + second`, copied once into a string of the right size: the `+` made an
    /// intermediate string, and each String append costs a few hundred instructions.
    static func joinedByLineFeed(_ first: String, _ second: String) -> String {
        var first = first
        var second = second
        return first.withUTF8 { head in
            second.withUTF8 { tail in
                String(unsafeUninitializedCapacity: head.count + 1 + tail.count) { buffer in
                    _ = buffer.initialize(fromContentsOf: head)
                    buffer[head.count] = 0x0A
                    _ = buffer[(head.count + 1)...].initialize(fromContentsOf: tail)
                    return head.count + 1 + tail.count
                }
            }
        }
    }

    /// The e-mail heuristics above, on their own.
    public static func stripQuotesAndSignature(_ text: String) -> String {
        // One line: nothing to cut (a lone quote or signature line would leave nothing, and then
        // the original is kept anyway).
        guard containsLineFeed(text) else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.last == "\r" ? line.dropLast() : line
        }
        var kept: [Substring] = []
        var index = 0
        scan: while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingWhitespace()
            if trimmed.hasPrefix(">") {
                index += 1
                continue
            }
            if trimmed == "--" || line == "-- " { break scan }
            if !trimmed.isEmpty {
                let lower = trimmed.lowercased()
                if isSeparatorLine(lower) || isReplyHeader(lower, next: nextNonEmptyLine(lines, after: index))
                    || isHeaderBlock(lines, at: index) || isSignatureMarker(lower)
                {
                    break scan
                }
                if !kept.isEmpty && isClosingLine(lower) && remainingLinesLookLikeSignature(lines, after: index) {
                    break scan
                }
            }
            kept.append(line)
            index += 1
        }
        let result = kept.joined(separator: "\n").trimmingWhitespace()
        return String(result.isEmpty ? text.trimmingWhitespace() : result)
    }

    /// Drops `Re:`, `Fwd:`, `AW:`, `WG:`, `TR:`, `SV:`, `RV:` prefixes (repeated, any case).
    ///
    /// This runs for every message with a subject, so it reads the UTF-8 bytes (`cutSubject`)
    /// instead of walking Characters, which cost a grapheme-break and a Unicode-property look-up
    /// per character. The rules are `cleanSubjectByCharacters`'s: the bytes decide only where
    /// every byte that matters is ASCII; otherwise the Characters decide from there on.
    public static func cleanSubject(_ subject: String) -> String {
        let utf8 = subject.utf8
        let cut = utf8.withContiguousStorageIfAvailable(cutSubject) ?? SubjectCut(bounds: 0..<utf8.count, isFinal: false)
        if cut.isFinal && cut.bounds.count == utf8.count { return subject }
        let lower = utf8.index(utf8.startIndex, offsetBy: cut.bounds.lowerBound)
        let upper = utf8.index(lower, offsetBy: cut.bounds.count)
        return cut.isFinal ? String(subject[lower..<upper]) : cleanSubjectByCharacters(subject[lower..<upper])
    }

    /// `cleanSubject` on Characters: the definition, and the way for subjects whose prefixes or
    /// white space are not plain ASCII ("RE\u{A0}: x", a space with a combining accent).
    static func cleanSubjectByCharacters(_ subject: Substring) -> String {
        var rest = subject.trimmingWhitespace()
        var changed = true
        while changed {
            changed = false
            guard let colon = rest.firstIndex(of: ":") else { break }
            let head = rest[..<colon].trimmingWhitespace().lowercased()
            if replyPrefixes.contains(head) {
                rest = rest[rest.index(after: colon)...].trimmingWhitespace()
                changed = true
            }
        }
        return String(rest)
    }

    private static let replyPrefixes = ["re", "fw", "fwd", "aw", "wg", "tr", "sv", "vs", "rv", "antw", "odp", "r"]

    /// What `cutSubject` found: the UTF-8 offsets of the cleaned subject when `isFinal`, else
    /// the offsets of what is left to clean by Characters (`cleanSubjectByCharacters`).
    struct SubjectCut: Equatable {
        var bounds: Range<Int>
        var isFinal: Bool
    }

    /// `cleanSubjectByCharacters` on UTF-8 bytes, for as long as that gives the same answer.
    ///
    /// An ASCII byte between two ASCII bytes is a Character of its own (only CR LF pairs up, and
    /// both are white space), and no other Character equals ":" or, lower-cased, a reply prefix.
    /// A non-ASCII byte next to a decision may change it (U+00A0 is white space; a combining
    /// accent joins the space or colon before it into another Character), so there the cut
    /// stops and hands over what is left, which always starts and ends on a Character boundary.
    static func cutSubject(_ bytes: UnsafeBufferPointer<UInt8>) -> SubjectCut {
        var end = bytes.count
        while end > 0 && UnicodeASCII.isWhitespace(bytes[end - 1]) { end -= 1 }
        if end == 0 { return SubjectCut(bounds: 0..<0, isFinal: true) }
        if bytes[end - 1] >= 0x80 { return SubjectCut(bounds: 0..<bytes.count, isFinal: false) }
        var start = 0
        while true {
            let rest = start..<end
            while start < end && UnicodeASCII.isWhitespace(bytes[start]) { start += 1 }
            if start == end { return SubjectCut(bounds: end..<end, isFinal: true) }
            if bytes[start] >= 0x80 { return SubjectCut(bounds: rest, isFinal: false) }
            guard let colon = bytes[start..<end].firstIndex(of: UInt8(ascii: ":")) else {
                return SubjectCut(bounds: start..<end, isFinal: true)
            }
            let head = bytes[start..<colon]
            if head.contains(where: { $0 >= 0x80 }) || (colon + 1 < end && bytes[colon + 1] >= 0x80) {
                return SubjectCut(bounds: start..<end, isFinal: false)
            }
            guard isReplyPrefix(head) else { return SubjectCut(bounds: start..<end, isFinal: true) }
            start = colon + 1
        }
    }

    /// An ASCII head, without its trailing white space, is one of `replyPrefixes` in any case.
    private static func isReplyPrefix(_ head: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var word = head
        while let last = word.last, UnicodeASCII.isWhitespace(last) { word = word.dropLast() }
        guard word.count <= 4 else { return false }
        return replyPrefixes.contains { prefix in
            prefix.utf8.elementsEqual(word.lazy.map(UnicodeASCII.lowercased))
        }
    }

    /// `text.utf8.contains(0x0A)` over the string's contiguous bytes when it has them (every native
    /// string): the UTF8View's iterator cost about 24 instructions a byte, on every e-mail body.
    private static func containsLineFeed(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { $0.contains(0x0A) } ?? text.utf8.contains(0x0A)
    }

    // MARK: Markers

    private static func nextNonEmptyLine(_ lines: [Substring], after index: Int) -> Substring? {
        var next = index + 1
        while next < lines.count {
            let trimmed = lines[next].trimmingWhitespace()
            if !trimmed.isEmpty { return trimmed }
            next += 1
        }
        return nil
    }

    private static let separatorPhrases = [
        "original message", "ursprüngliche nachricht", "message d'origine", "mensaje original",
        "messaggio originale", "oorspronkelijk bericht", "mensagem original", "forwarded message",
        "weitergeleitete nachricht", "message transféré", "mensaje reenviado", "messaggio inoltrato",
    ]

    private static func isSeparatorLine(_ lower: String) -> Bool {
        if lower.hasPrefix("-----") || lower.hasPrefix("_____") || lower.hasPrefix("----- ") {
            if separatorPhrases.contains(where: { lower.contains($0) }) { return true }
            if lower.allSatisfy({ $0 == "_" }) && lower.count >= 10 { return true }
        }
        return false
    }

    private static let wroteVerbs = [
        " wrote", " schrieb", " a écrit", " escribió", " ha scritto", " schreef", " escreveu", " skrev",
        " napisał", " kirjoitti",
    ]

    /// "On Mon, 3 Jun 2024 at 10:02, Jane <jane@example.com> wrote:" — possibly wrapped, so the
    /// next line is looked at too.
    private static func isReplyHeader(_ lower: String, next: Substring?) -> Bool {
        let openers = ["on ", "am ", "le ", "el ", "il ", "op ", "em ", "den ", "w dniu ", "dne "]
        guard openers.contains(where: { lower.hasPrefix($0) }), lower.count < 300 else { return false }
        var candidate = lower
        if !candidate.hasSuffix(":"), let next, next.count < 120 {
            candidate += " " + next.lowercased()
        }
        guard candidate.hasSuffix(":") else { return false }
        return wroteVerbs.contains(where: { candidate.contains($0) })
    }

    private static let fromFields = ["from:", "von:", "de:", "da:", "van:", "från:", "fra:", "od:", "de :"]
    private static let headerFields = [
        "sent:", "date:", "to:", "subject:", "cc:", "gesendet:", "datum:", "an:", "betreff:", "envoyé :",
        "envoyé:", "à :", "objet :", "objet:", "enviado:", "para:", "asunto:", "fecha:", "inviato:", "data:",
        "oggetto:", "verzonden:", "aan:", "onderwerp:",
    ]

    /// An Outlook-style header block of a quoted or forwarded message.
    private static func isHeaderBlock(_ lines: [Substring], at index: Int) -> Bool {
        let lower = lines[index].trimmingWhitespace().lowercased()
        guard fromFields.contains(where: { lower.hasPrefix($0) }) else { return false }
        var next = index + 1
        while next < lines.count && next <= index + 5 {
            let field = lines[next].trimmingWhitespace().lowercased()
            if headerFields.contains(where: { field.hasPrefix($0) }) { return true }
            next += 1
        }
        return false
    }

    private static let signatureMarkers = [
        "sent from my ", "sent from mail for", "sent from yahoo", "sent from outlook", "sent from samsung",
        "sent via ", "get outlook for", "von meinem ", "gesendet von meinem", "envoyé de mon", "envoyé depuis",
        "enviado desde mi", "enviado de meu", "inviato da ", "verzonden vanaf mijn", "confidentiality notice",
        "this email and any attachments", "this e-mail and any attachments", "this message is confidential",
        "disclaimer:", "diese e-mail enthält vertrauliche", "diese nachricht enthält vertrauliche",
    ]

    private static func isSignatureMarker(_ lower: String) -> Bool {
        signatureMarkers.contains(where: { lower.hasPrefix($0) })
    }

    private static let closings: Set<String> = [
        "regards", "best regards", "kind regards", "warm regards", "warmest regards", "many regards",
        "best wishes", "best", "all the best", "cheers", "thanks", "thank you", "many thanks", "thanks again",
        "thanks in advance", "thank you in advance", "sincerely", "yours sincerely", "sincerely yours",
        "yours truly", "yours faithfully", "respectfully", "kr", "br", "rgds", "thx", "ty",
        "mit freundlichen grüßen", "mit freundlichen grüssen", "mit freundlichen gruessen", "freundliche grüße",
        "viele grüße", "beste grüße", "liebe grüße", "lg", "mfg", "gruß", "grüße", "danke", "vielen dank",
        "cordialement", "bien cordialement", "salutations", "bien à vous", "merci", "merci d'avance",
        "saludos", "saludos cordiales", "atentamente", "un saludo", "gracias", "muchas gracias",
        "cordiali saluti", "saluti", "distinti saluti", "grazie", "met vriendelijke groet", "groeten",
        "atenciosamente", "abraços", "obrigado", "obrigada", "med vänliga hälsningar", "hälsningar",
    ]

    private static func isClosingLine(_ lower: String) -> Bool {
        guard lower.count <= 40 else { return false }
        var core = Substring(lower)
        while let last = core.last, last == "," || last == "." || last == "!" || last == " " { core = core.dropLast() }
        return closings.contains(String(core))
    }

    /// After a closing line: a name, a title, a phone number — a few short lines at most.
    private static func remainingLinesLookLikeSignature(_ lines: [Substring], after index: Int) -> Bool {
        var count = 0
        var next = index + 1
        while next < lines.count {
            let trimmed = lines[next].trimmingWhitespace()
            if trimmed.hasPrefix(">") { break }
            if !trimmed.isEmpty {
                count += 1
                if count > 6 || trimmed.count > 80 {
                    let lower = trimmed.lowercased()
                    // Quoted history after the signature still counts as the end of the message.
                    if isReplyHeader(lower, next: nextNonEmptyLine(lines, after: next)) || isSeparatorLine(lower)
                        || isHeaderBlock(lines, at: next)
                    {
                        return true
                    }
                    return false
                }
            }
            next += 1
        }
        return true
    }
}

extension StringProtocol {
    /// Without spaces, tabs and line breaks at either end (Foundation-free).
    fileprivate func trimmingWhitespace() -> Substring {
        let slice = self[...]
        guard let first = slice.firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = slice.lastIndex(where: { !$0.isWhitespace })!
        return Substring(slice[first...last])
    }
}
