import Foundation

/// Cuts a mail's text down to what the customer wrote *this time*, for the classifier: the quoted
/// earlier conversation and the signature would otherwise make every reply look like the first
/// mail. The full text is always kept separately (`MailMessage.text`); this is only what the
/// classifier reads.
///
/// Removed: everything from a reply header on ("On … wrote:", German "Am … schrieb …:", French
/// "Le … a écrit :", Spanish, Dutch, Italian forms, Outlook's "-----Original Message-----" and its
/// "From: … Sent: …" block), interleaved `>` lines, and the signature ("-- ", "Sent from my
/// iPhone", "Get Outlook for …" and their translations). Forwarded mail is *not* removed: when
/// an agent forwards a customer's mail, the forwarded text is the inquiry. When stripping would
/// leave nothing, the full text is returned.
public enum QuoteStripper {
    public static func stripForClassification(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        var end = lines.count
        for index in lines.indices where isReplyHeader(lines, at: index) {
            end = index
            break
        }
        var kept: [Substring] = []
        for line in lines[..<end] {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(">") { continue }
            if isSignatureStart(line) { break }
            kept.append(line)
        }
        while let last = kept.last, last.allSatisfy(\.isWhitespace) { kept.removeLast() }
        while let first = kept.first, first.allSatisfy(\.isWhitespace) { kept.removeFirst() }
        if kept.isEmpty { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        return kept.map { line in
            var line = line
            while line.last == " " || line.last == "\t" { line = line.dropLast() }
            return String(line)
        }.joined(separator: "\n")
    }

    private static let separatorPhrases = [
        "original message", "ursprüngliche nachricht", "original-nachricht", "message d'origine", "message d’origine",
        "mensaje original", "messaggio originale", "oorspronkelijk bericht", "oorspronkelijk bericht",
    ]
    private static let forwardPhrases = [
        "forwarded message", "begin forwarded message", "weitergeleitete nachricht", "message transféré",
        "mensaje reenviado", "messaggio inoltrato", "doorgestuurd bericht",
    ]
    private static let fromLabels = ["from:", "von:", "de :", "de:", "van:", "da:"]
    private static let sentLabels = ["sent:", "date:", "gesendet:", "datum:", "envoyé :", "envoyé:", "enviado:", "verzonden:", "inviato:", "data:"]

    /// Whether a reply header (attribution line or Outlook block) starts at `index`.
    static func isReplyHeader(_ lines: [Substring], at index: Int) -> Bool {
        let line = normalized(lines[index])
        if line.isEmpty { return false }
        // -----Original Message----- and its translations.
        if line.hasPrefix("--") || line.hasPrefix("__") {
            let inner = line.trimmingCharacters(in: CharacterSet(charactersIn: "-_ *"))
            if separatorPhrases.contains(inner) { return true }
        }
        // Outlook: a line of underscores, then From:/Sent:.
        if line.count >= 10 && line.allSatisfy({ $0 == "_" }) {
            return index + 1 < lines.count && isOutlookBlock(lines, at: index + 1)
        }
        if isOutlookBlock(lines, at: index) { return !followsForwardMarker(lines, at: index) }
        // Attribution lines, possibly wrapped over up to three lines.
        var joined = line
        for offset in 0..<3 {
            if offset > 0 {
                guard index + offset < lines.count else { break }
                let next = normalized(lines[index + offset])
                if next.isEmpty { break }
                joined += " " + next
            }
            if isAttribution(joined) { return true }
        }
        return false
    }

    private static func isAttribution(_ line: String) -> Bool {
        guard line.hasSuffix(":") else { return false }
        let words: [(prefix: String, verb: String)] = [
            ("on ", "wrote"), ("am ", "schrieb"), ("le ", "a écrit"), ("le ", "a ecrit"), ("el ", "escribió"),
            ("el ", "escribio"), ("op ", "schreef"), ("il ", "ha scritto"), ("em ", "escreveu"),
        ]
        for (prefix, verb) in words where line.hasPrefix(prefix) && line.contains(verb) {
            return line.count < 300
        }
        // "John Doe <john@example.com> wrote:" with no date.
        return line.hasSuffix(" wrote:") && line.contains("@") && line.count < 200
    }

    private static func isOutlookBlock(_ lines: [Substring], at index: Int) -> Bool {
        let line = normalized(lines[index])
        guard fromLabels.contains(where: { line.hasPrefix($0) }) else { return false }
        for next in (index + 1)..<min(lines.count, index + 5) {
            let candidate = normalized(lines[next])
            if sentLabels.contains(where: { candidate.hasPrefix($0) }) { return true }
        }
        return false
    }

    private static func followsForwardMarker(_ lines: [Substring], at index: Int) -> Bool {
        var previous = index - 1
        while previous >= 0 && normalized(lines[previous]).isEmpty { previous -= 1 }
        guard previous >= 0 else { return false }
        let line = normalized(lines[previous])
        return forwardPhrases.contains { line.contains($0) }
    }

    private static let signaturePhrases = [
        "sent from my ", "sent from mail for windows", "sent from outlook", "get outlook for ", "sent from yahoo mail",
        "von meinem iphone gesendet", "von meinem ipad gesendet", "gesendet von meinem ", "von meinem smartphone gesendet",
        "envoyé de mon ", "envoyé depuis mon ", "enviado desde mi ", "inviato da ", "verzonden vanaf mijn ", "verstuurd vanaf mijn ",
    ]

    static func isSignatureStart(_ line: Substring) -> Bool {
        if line == "-- " || line == "--" || line == "-- \r" { return true }
        let text = normalized(line)
        return signaturePhrases.contains { text.hasPrefix($0) }
    }

    /// Lower-cased, trimmed, without Markdown-ish emphasis (`*From:*`, as Gmail renders bold).
    private static func normalized(_ line: Substring) -> String {
        var text = line.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasPrefix("*") { text = text.replacingOccurrences(of: "*", with: "") }
        return text
    }
}
