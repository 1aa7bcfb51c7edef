/// HTML mail bodies turned into readable plain text, for classification and for agents who read
/// text: block elements become line breaks, paragraphs blank lines, list items `- ` or `1. `,
/// table cells are separated by spaces, blockquotes are prefixed with `> ` (so quoted replies can
/// be stripped the same way as in plain text), links read "text (url)", images their alt text,
/// entities are decoded, and `script`, `style`, `head` and comments are dropped.
///
/// Not a browser: no CSS, no layout. Tolerant of any tag soup; never fails.
public enum HTMLText {
    public static func text(from html: String) -> String {
        var renderer = Renderer()
        renderer.run(Array(html.utf8))
        return renderer.finish()
    }

    private static let paragraphTags: Set<String> = [
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl", "hr", "address", "figure",
    ]
    private static let lineTags: Set<String> = [
        "div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main", "form",
        "fieldset", "legend", "caption", "tbody", "thead", "tfoot", "center", "details", "summary", "figcaption", "title",
    ]
    private static let skippedTags: Set<String> = ["script", "style", "head", "title", "template", "xml", "object", "svg"]

    private struct Renderer {
        var output: [UInt8] = []
        var pendingSpace = false
        var pendingBreaks = 0
        var quoteDepth = 0
        var preDepth = 0
        /// Per open list: nil for `ul`, the next number for `ol`.
        var lists: [Int?] = []
        /// Per open link: its href and where its text starts in `output`.
        var links: [(href: String, start: Int)] = []
        var cellInRow = 0

        mutating func run(_ html: [UInt8]) {
            var index = 0
            let count = html.count
            while index < count {
                let byte = html[index]
                if byte == UInt8(ascii: "<") {
                    index = tag(html, index)
                } else if byte == UInt8(ascii: "&") {
                    index = entity(html, index)
                } else {
                    text(byte)
                    index += 1
                }
            }
        }

        // MARK: text

        mutating func text(_ byte: UInt8) {
            if preDepth == 0 && (byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C) {
                pendingSpace = true
                return
            }
            if preDepth > 0 && byte == 0x0A {
                if pendingBreaks > 0 { flushBreaks() }
                output.append(0x0A)
                return
            }
            if preDepth > 0 && byte == 0x0D { return }
            flush()
            output.append(byte)
        }

        mutating func text(_ string: String) {
            for byte in string.utf8 { text(byte) }
        }

        mutating func appendScalar(_ scalar: UInt32) {
            if scalar == 0xA0 {  // nbsp
                text(0x20)
                return
            }
            var bytes: [UInt8] = []
            Charsets.appendUTF8(scalar, to: &bytes)
            for byte in bytes { text(byte) }
        }

        var atLineStart: Bool { output.isEmpty || output.last == 0x0A }

        mutating func newline(_ count: Int) {
            pendingBreaks = max(pendingBreaks, count)
            pendingSpace = false
        }

        /// Writes pending line breaks (and the quote prefix) or a pending space before content.
        mutating func flush() {
            if pendingBreaks > 0 {
                flushBreaks()
            } else if pendingSpace && !atLineStart {
                output.append(0x20)
            }
            pendingSpace = false
            if atLineStart && quoteDepth > 0 {
                for _ in 0..<quoteDepth { output.append(UInt8(ascii: ">")) }
                output.append(0x20)
            }
        }

        mutating func flushBreaks() {
            if !output.isEmpty {
                while output.last == 0x20 { output.removeLast() }
                var existing = 0
                var index = output.count - 1
                while index >= 0 && output[index] == 0x0A && existing < 2 {
                    existing += 1
                    index -= 1
                }
                for _ in existing..<max(existing, min(pendingBreaks, 2)) {
                    if quoteDepth > 0 && output.last == 0x0A {
                        // keep blank lines inside quotes quoted
                        for _ in 0..<quoteDepth { output.append(UInt8(ascii: ">")) }
                    }
                    output.append(0x0A)
                }
            }
            pendingBreaks = 0
            pendingSpace = false
        }

        // MARK: markup

        mutating func tag(_ html: [UInt8], _ start: Int) -> Int {
            let count = html.count
            var index = start + 1
            guard index < count else { text(UInt8(ascii: "<")); return count }
            if html[index] == UInt8(ascii: "!") {
                if index + 2 < count, html[index + 1] == UInt8(ascii: "-"), html[index + 2] == UInt8(ascii: "-") {
                    return find(html, "-->", from: index + 3).map { $0 + 3 } ?? count
                }
                return (find(html, ">", from: index) ?? count - 1) + 1
            }
            if html[index] == UInt8(ascii: "?") { return (find(html, ">", from: index) ?? count - 1) + 1 }
            var closing = false
            if html[index] == UInt8(ascii: "/") {
                closing = true
                index += 1
            }
            let nameStart = index
            while index < count, isNameByte(html[index]) { index += 1 }
            guard index > nameStart, isLetter(html[nameStart]) else {
                text(UInt8(ascii: "<"))
                return start + 1
            }
            let name = String(decoding: html[nameStart..<index].map { $0 | (isLetter($0) ? 0x20 : 0) }, as: UTF8.self)
            var attributes: [String: String] = [:]
            index = readAttributes(html, index, into: &attributes)
            if closing {
                endTag(name)
            } else if skippedTags.contains(name) {
                return skipElement(html, from: index, name: name)
            } else {
                startTag(name, attributes)
            }
            return index
        }

        mutating func startTag(_ name: String, _ attributes: [String: String]) {
            switch name {
            case "br":
                pendingBreaks = min(pendingBreaks + 1, 2)
                pendingSpace = false
            case "li":
                newline(1)
                flushBreaks()
                let indent = max(0, lists.count - 1) * 2
                flush()
                for _ in 0..<indent { output.append(0x20) }
                if let last = lists.last, let number = last {
                    output.append(contentsOf: Array("\(number). ".utf8))
                    lists[lists.count - 1] = number + 1
                } else {
                    output.append(contentsOf: Array("- ".utf8))
                }
            case "ul":
                newline(lists.isEmpty ? 2 : 1)
                lists.append(nil)
            case "ol":
                newline(lists.isEmpty ? 2 : 1)
                lists.append(Int(attributes["start"] ?? "") ?? 1)
            case "blockquote":
                newline(2)
                if !output.isEmpty { flushBreaks() }
                quoteDepth += 1
            case "pre":
                newline(2)
                preDepth += 1
            case "tr":
                newline(1)
                cellInRow = 0
            case "td", "th":
                if cellInRow > 0 { pendingSpace = true }
                cellInRow += 1
            case "a":
                // Links do not nest; a bound keeps unclosed ones from costing quadratic time.
                if links.count < 16 { links.append((href: attributes["href"] ?? "", start: output.count)) }
            case "img":
                if let alt = attributes["alt"]?.trimmedWhitespace, !alt.isEmpty {
                    text(alt)
                }
            default:
                if paragraphTags.contains(name) { newline(2) } else if lineTags.contains(name) { newline(1) }
            }
        }

        mutating func endTag(_ name: String) {
            switch name {
            case "ul", "ol":
                if !lists.isEmpty { lists.removeLast() }
                newline(lists.isEmpty ? 2 : 1)
            case "blockquote":
                quoteDepth = max(0, quoteDepth - 1)
                newline(2)
            case "pre":
                preDepth = max(0, preDepth - 1)
                newline(2)
            case "a":
                guard let link = links.popLast() else { return }
                finishLink(link)
            default:
                if paragraphTags.contains(name) { newline(2) } else if lineTags.contains(name) { newline(1) }
            }
        }

        mutating func finishLink(_ link: (href: String, start: Int)) {
            let href = link.href.trimmedWhitespace
            guard !href.isEmpty, !href.hasPrefix("#"), !href.lowercased().hasPrefix("javascript:"),
                  link.start <= output.count else { return }
            let shown = String(decoding: output[link.start...], as: UTF8.self).trimmedWhitespace
            guard !shown.isEmpty else { return }
            func bare(_ value: String) -> String {
                var value = value.lowercased()
                for prefix in ["mailto:", "tel:", "https://", "http://"] where value.hasPrefix(prefix) {
                    value.removeFirst(prefix.count)
                }
                while value.hasSuffix("/") { value.removeLast() }
                return value
            }
            if bare(shown) == bare(href) { return }
            text(0x20)
            text("(\(href))")
        }

        // MARK: scanning

        func readAttributes(_ html: [UInt8], _ start: Int, into attributes: inout [String: String]) -> Int {
            var index = start
            let count = html.count
            while index < count {
                let byte = html[index]
                if byte == UInt8(ascii: ">") { return index + 1 }
                if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: "/") {
                    index += 1
                    continue
                }
                let nameStart = index
                while index < count, html[index] != UInt8(ascii: "="), html[index] != UInt8(ascii: ">"),
                      html[index] > 0x20, html[index] != UInt8(ascii: "/") || index == nameStart {
                    index += 1
                }
                let name = String(decoding: html[nameStart..<index], as: UTF8.self).lowercased()
                while index < count, html[index] == 0x20 || html[index] == 0x09 || html[index] == 0x0A || html[index] == 0x0D { index += 1 }
                guard index < count, html[index] == UInt8(ascii: "=") else {
                    if index == nameStart { index += 1 }
                    continue
                }
                index += 1
                while index < count, html[index] == 0x20 || html[index] == 0x09 || html[index] == 0x0A || html[index] == 0x0D { index += 1 }
                guard index < count else { break }
                var value: ArraySlice<UInt8>
                let quote = html[index]
                if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                    let valueStart = index + 1
                    let valueEnd = find(html, quote, from: valueStart) ?? count
                    value = html[valueStart..<valueEnd]
                    index = min(valueEnd + 1, count)
                } else {
                    let valueStart = index
                    while index < count, html[index] > 0x20, html[index] != UInt8(ascii: ">") { index += 1 }
                    value = html[valueStart..<index]
                }
                if attributes[name] == nil { attributes[name] = decodeEntities(value) }
            }
            return count
        }

        func skipElement(_ html: [UInt8], from start: Int, name: String) -> Int {
            let closing = Array("</\(name)".utf8)
            var index = start
            while let found = find(html, UInt8(ascii: "<"), from: index) {
                if found + closing.count <= html.count,
                   zip(html[found..<(found + closing.count)], closing).allSatisfy({ ($0 | 0x20) == ($1 | 0x20) }) {
                    return (find(html, UInt8(ascii: ">"), from: found) ?? html.count - 1) + 1
                }
                index = found + 1
            }
            return html.count
        }

        mutating func entity(_ html: [UInt8], _ start: Int) -> Int {
            if let (scalar, end) = HTMLText.entity(html[...], at: start) {
                appendScalar(scalar)
                return end
            }
            text(UInt8(ascii: "&"))
            return start + 1
        }

        func decodeEntities(_ value: ArraySlice<UInt8>) -> String {
            guard value.contains(UInt8(ascii: "&")) else { return String(decoding: value, as: UTF8.self) }
            var output: [UInt8] = []
            var index = value.startIndex
            while index < value.endIndex {
                if value[index] == UInt8(ascii: "&"), let (scalar, end) = HTMLText.entity(value, at: index) {
                    Charsets.appendUTF8(scalar, to: &output)
                    index = end
                } else {
                    output.append(value[index])
                    index += 1
                }
            }
            return String(decoding: output, as: UTF8.self)
        }

        func find(_ html: [UInt8], _ needle: String, from start: Int) -> Int? {
            let pattern = Array(needle.utf8)
            var index = start
            while index + pattern.count <= html.count {
                if html[index] == pattern[0] && html[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
                index += 1
            }
            return nil
        }

        func find(_ html: [UInt8], _ byte: UInt8, from start: Int) -> Int? {
            guard start < html.count else { return nil }
            return html[start...].firstIndex(of: byte)
        }

        func isLetter(_ byte: UInt8) -> Bool {
            (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
        }

        func isNameByte(_ byte: UInt8) -> Bool {
            isLetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":")
        }

        // MARK: result

        mutating func finish() -> String {
            for link in links.reversed() { finishLink(link) }
            links.removeAll()
            // Trailing spaces off every line, blank lines off both ends.
            var result: [UInt8] = []
            result.reserveCapacity(output.count)
            var lineStart = 0
            while lineStart <= output.count {
                var lineEnd = lineStart
                while lineEnd < output.count && output[lineEnd] != 0x0A { lineEnd += 1 }
                var contentEnd = lineEnd
                while contentEnd > lineStart && (output[contentEnd - 1] == 0x20 || output[contentEnd - 1] == 0x09) { contentEnd -= 1 }
                if contentEnd > lineStart || !result.isEmpty {
                    result.append(contentsOf: output[lineStart..<contentEnd])
                    result.append(0x0A)
                }
                lineStart = lineEnd + 1
            }
            while result.last == 0x0A { result.removeLast() }
            return String(decoding: result, as: UTF8.self)
        }
    }

    /// Decodes one character reference at `start` (`&amp;`, `&#233;`, `&#x20AC;`): the scalar
    /// and the index after it, or nil when it is not one.
    static func entity(_ bytes: ArraySlice<UInt8>, at start: Int) -> (UInt32, Int)? {
        var index = start + 1
        guard index < bytes.endIndex else { return nil }
        if bytes[index] == UInt8(ascii: "#") {
            index += 1
            var hex = false
            if index < bytes.endIndex, bytes[index] | 0x20 == UInt8(ascii: "x") {
                hex = true
                index += 1
            }
            var value: UInt32 = 0
            let digitsStart = index
            while index < bytes.endIndex, index - digitsStart < 8 {
                let byte = bytes[index]
                if let digit = TransferDecoding.hexValue(byte), hex || byte <= UInt8(ascii: "9") {
                    value = value * (hex ? 16 : 10) + UInt32(digit)
                    index += 1
                } else {
                    break
                }
            }
            guard index > digitsStart else { return nil }
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: ";") { index += 1 }
            if value >= 0x80 && value < 0xA0 {
                // Browsers read these as windows-1252, and so does mail written on Windows.
                let mapped = Charsets.windows1252([UInt8(value)]).unicodeScalars.first!.value
                return (mapped, index)
            }
            if value == 0 || value > 0x10FFFF || (value >= 0xD800 && value < 0xE000) { return (0xFFFD, index) }
            return (value, index)
        }
        let nameStart = index
        while index < bytes.endIndex, index - nameStart < 10,
              (bytes[index] | 0x20) >= UInt8(ascii: "a") && (bytes[index] | 0x20) <= UInt8(ascii: "z")
                || (bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")) {
            index += 1
        }
        guard index > nameStart else { return nil }
        let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
        guard let scalar = HTMLEntities.named[name] else { return nil }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ";") {
            return (scalar, index + 1)
        }
        // Without the semicolon only the old, common ones count.
        return ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"].contains(name) ? (scalar, index) : nil
    }
}
