import Glibc

/// Builds the MIME tree of one mail over its raw bytes: header blocks, content types, and
/// multipart bodies split at their boundaries (RFC 2046 §5.1).
///
/// Lenient about what mail in the wild gets wrong: a missing closing boundary ends the last part
/// at the end of the mail; a boundary parameter that is missing or matches no line is guessed
/// from the first `--…` line; when nothing can be guessed, the multipart is read as plain text.
/// Strict about limits: parts, depth and header size throw.
struct MIMETreeParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: MailParseLimits
    var partCount = 0
    var defects: [MailDefect] = []

    init(bytes: UnsafeBufferPointer<UInt8>, limits: MailParseLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func parseEntity(_ range: Range<Int>, path: String, depth: Int, defaultType: String,
                              isTop: Bool) throws(MailParseError) -> MIMEEntity {
        partCount += 1
        if partCount > limits.maxParts {
            throw MailParseError(code: .tooManyParts, place: path, message: "the mail has more than \(limits.maxParts) MIME parts",
                                 hint: "raise max_parts if such mail is legitimate")
        }
        let headers = try HeaderBlock.parse(bytes, range, maxBytes: limits.maxHeaderBytes, place: path, skipMboxLine: isTop)
        if isTop && headers.fields.isEmpty {
            throw MailParseError(code: .notAMessage, place: path, message: "the bytes do not start with a header field",
                                 hint: "a mail starts with lines like 'From: …'; check what the mailbox delivered")
        }
        for code in headers.defects { defects.append(MailDefect(code: code, place: path)) }

        var contentType = defaultType
        var typeParameters: [String: String] = [:]
        if let header = headers.value("content-type") {
            let parsed = MIMEParameters.parse(header)
            typeParameters = parsed.parameters
            if Self.isValidType(parsed.value) {
                contentType = parsed.value
            } else {
                defects.append(MailDefect(code: "invalid_content_type", place: path))
            }
        }
        var disposition: String?
        var dispositionParameters: [String: String] = [:]
        if let header = headers.value("content-disposition") {
            let parsed = MIMEParameters.parse(header)
            disposition = parsed.value.isEmpty ? nil : parsed.value
            dispositionParameters = parsed.parameters
        }
        let transferEncoding = headers.value("content-transfer-encoding").map { MIMEParameters.parse($0).value } ?? "7bit"
        let contentID = headers.value("content-id").map(MailThreading.stripAngles)
        let body = headers.bodyStart..<range.upperBound

        var entity = MIMEEntity(path: path, headers: headers, contentType: contentType, typeParameters: typeParameters,
                                disposition: disposition, dispositionParameters: dispositionParameters,
                                transferEncoding: transferEncoding, contentID: contentID, body: body, children: [])
        guard entity.isMultipart else { return entity }
        if depth + 1 > limits.maxDepth {
            throw MailParseError(code: .tooDeep, place: path, message: "multiparts are nested more than \(limits.maxDepth) deep",
                                 hint: "raise max_depth if such mail is legitimate")
        }
        var split: Split?
        if let boundary = typeParameters["boundary"], !boundary.isEmpty {
            let found = self.split(body, boundary: Array(boundary.utf8))
            if found.foundOpening { split = found }
        }
        if split == nil {
            defects.append(MailDefect(code: typeParameters["boundary"] == nil ? "no_boundary" : "boundary_not_found", place: path))
            if let guessed = guessBoundary(body) {
                let found = self.split(body, boundary: guessed)
                if found.foundOpening {
                    split = found
                    defects.append(MailDefect(code: "boundary_guessed", place: path))
                }
            }
        }
        guard let split else {
            entity.contentType = "text/plain"
            return entity
        }
        if !split.closed { defects.append(MailDefect(code: "missing_final_boundary", place: path)) }
        let childDefault = contentType == "multipart/digest" ? "message/rfc822" : "text/plain"
        entity.children.reserveCapacity(split.parts.count)
        for (offset, part) in split.parts.enumerated() {
            entity.children.append(try parseEntity(part, path: entity.childPath(offset + 1), depth: depth + 1,
                                                   defaultType: childDefault, isTop: false))
        }
        return entity
    }

    static func isValidType(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "=") }
        }
    }

    struct Split {
        var parts: [Range<Int>] = []
        var foundOpening = false
        var closed = false
    }

    /// Splits a multipart body at lines `--boundary` (trailing white space allowed) and the
    /// closing `--boundary--`. The line break before a delimiter belongs to the delimiter.
    func split(_ body: Range<Int>, boundary: [UInt8]) -> Split {
        var result = Split()
        var partStart: Int?
        var lineStart = body.lowerBound
        let end = body.upperBound
        let length = boundary.count
        while lineStart < end {
            let newline = HeaderBlock.lineEnd(bytes, from: lineStart, end: end)
            if newline - lineStart >= length + 2, bytes[lineStart] == UInt8(ascii: "-"), bytes[lineStart + 1] == UInt8(ascii: "-"),
               matches(boundary, at: lineStart + 2) {
                var index = lineStart + 2 + length
                var closing = false
                if index + 1 < newline, bytes[index] == UInt8(ascii: "-"), bytes[index + 1] == UInt8(ascii: "-") {
                    closing = true
                    index += 2
                }
                var onlySpace = true
                while index < newline {
                    let byte = bytes[index]
                    if byte != 0x20 && byte != 0x09 && byte != 0x0D { onlySpace = false; break }
                    index += 1
                }
                if onlySpace {
                    if let start = partStart {
                        var partEnd = lineStart
                        if partEnd > start {
                            partEnd -= 1  // the LF
                            if partEnd > start && bytes[partEnd - 1] == 0x0D { partEnd -= 1 }
                        }
                        result.parts.append(start..<partEnd)
                    }
                    result.foundOpening = true
                    if closing {
                        result.closed = true
                        return result
                    }
                    partStart = min(newline + 1, end)
                }
            }
            lineStart = newline + 1
        }
        if let start = partStart {
            // Unclosed: the last line break would have been the closing delimiter's.
            var partEnd = end
            if partEnd > start && bytes[partEnd - 1] == 0x0A {
                partEnd -= 1
                if partEnd > start && bytes[partEnd - 1] == 0x0D { partEnd -= 1 }
            }
            result.parts.append(start..<partEnd)
        }
        return result
    }

    private func matches(_ boundary: [UInt8], at start: Int) -> Bool {
        guard start + boundary.count <= bytes.count else { return false }
        return boundary.withUnsafeBufferPointer { pattern in
            memcmp(bytes.baseAddress! + start, pattern.baseAddress!, pattern.count) == 0
        }
    }

    /// The first line that looks like a delimiter (`--` and a token), without the dashes.
    func guessBoundary(_ body: Range<Int>) -> [UInt8]? {
        var lineStart = body.lowerBound
        let end = body.upperBound
        while lineStart < end {
            let newline = HeaderBlock.lineEnd(bytes, from: lineStart, end: end)
            if newline - lineStart > 3, bytes[lineStart] == UInt8(ascii: "-"), bytes[lineStart + 1] == UInt8(ascii: "-") {
                var candidate = Array(bytes[(lineStart + 2)..<newline])
                while let last = candidate.last, last == 0x20 || last == 0x09 || last == 0x0D { candidate.removeLast() }
                if candidate.count >= 3, candidate.count <= 100, !candidate.contains(0x20), candidate.contains(where: { $0 != UInt8(ascii: "-") }) {
                    if candidate.count > 2, candidate.suffix(2).elementsEqual([UInt8(ascii: "-"), UInt8(ascii: "-")]) {
                        candidate.removeLast(2)
                    }
                    return candidate
                }
            }
            lineStart = newline + 1
        }
        return nil
    }
}
