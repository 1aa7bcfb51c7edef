/// Splits a prepared message into the normalized words every later stage works on: the
/// classifier's features, the admins' phrase rules and the frustration lexicon all see the same
/// tokens, so "pls reset my pwd", "Please reset my password" and "PLEASE RESET MY PASSWORD!!!"
/// differ only in their style counts.
///
/// What it does, in one pass over the UTF-8 bytes:
/// - letters and digits form words; everything else separates them. Case is folded, accents are
///   folded on Latin and Greek letters (`é` → `e`, `ß` → `ss`), fullwidth forms become ASCII;
/// - apostrophes inside a word join it (`can't` → `cant`, then the shorthand table below);
/// - URLs, e-mail addresses and @handles are dropped; `#hashtag` keeps its word;
/// - digit runs of three or more become a shape (`order 58213` → `order 00000`), so order and
///   account numbers generalize;
/// - scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) become
///   overlapping character bigrams;
/// - a short table of SMS and chat shorthand is expanded (`pls` → `please`, `u` → `you`,
///   `acct` → `account`, `pwd` → `password`, `cant` → `cannot`, `dont` → `do not`).
///
/// It also counts the style cues the frustration signal needs (shouted words, `!!`, `?!`,
/// angry emoji) before case is folded away.
public enum MessageTokenizer {
    /// Tokens beyond this are ignored: the start of a long message says what it is about.
    public static let maximumTokens = 1024
    /// Longer letter runs are noise (base64, hashes) and are dropped.
    public static let maximumTokenBytes = 48

    public static func tokenize(_ text: String) -> TokenizedMessage {
        var output = TokenizedMessage()
        var text = text
        text.withUTF8 { utf8 in
            output.bytes.reserveCapacity(utf8.count + 16)
            output.tokens.reserveCapacity(utf8.count / 4 + 4)
            var state = TokenizerState()
            state.run(utf8, into: &output)
        }
        return output
    }
}

/// One normalized word: a slice of `TokenizedMessage.bytes` and its 64-bit hash.
public struct MessageToken: Sendable, Hashable {
    public var start: Int32
    public var length: Int32
    public var hash: UInt64
    /// A character bigram from a script written without spaces (Chinese, Japanese, Thai).
    public var isSegment: Bool
}

/// Counts of how a message was written, taken before case folding.
public struct TextStyle: Sendable, Hashable {
    /// Words of three or more letters, and how many of them were written in capitals.
    public var longWords = 0
    public var shoutedWords = 0
    public var exclamationMarks = 0
    /// Runs of two or more exclamation marks.
    public var exclamationRuns = 0
    /// `?!` or `!?`.
    public var interrobangs = 0
    /// 😠 😡 🤬 💢 😤 👎 🖕
    public var angryEmoji = 0

    public init() {}

    /// Share of long words written in capitals (0 when there are fewer than three long words).
    public var shoutedRatio: Double {
        longWords >= 3 ? Double(shoutedWords) / Double(longWords) : 0
    }
}

/// The output of `MessageTokenizer`.
public struct TokenizedMessage: Sendable {
    /// The normalized words, concatenated without separators; `tokens` index into it.
    public internal(set) var bytes: [UInt8] = []
    public internal(set) var tokens: [MessageToken] = []
    public internal(set) var style = TextStyle()

    public init() {}

    public var count: Int { tokens.count }

    public func word(at index: Int) -> String {
        let token = tokens[index]
        return String(decoding: bytes[Int(token.start)..<Int(token.start + token.length)], as: UTF8.self)
    }

    /// The normalized words, for tests and explanations (the hot path never builds strings).
    public var words: [String] { tokens.indices.map(word(at:)) }
}

// MARK: - Implementation

private struct TokenizerState {
    /// Where the word being built starts in `output.bytes`; -1 when no word is open.
    var wordStart = -1
    var wordLetters = 0
    var wordUppercase = 0
    var wordAllDigits = true
    var previousPunctuation: UInt8 = 0
    var exclamationRun = 0
    var full = false
    /// Where the current whitespace-delimited chunk started, to drop all of `jane.doe@example.com`.
    var chunkTokens = 0
    var chunkBytes = 0

    mutating func run(_ input: UnsafeBufferPointer<UInt8>, into output: inout TokenizedMessage) {
        let count = input.count
        var index = 0
        while index < count && !full {
            let byte = input[index]
            if byte < 0x80 {
                if isASCIILetterOrDigit(byte) {
                    if wordStart < 0 && startsURL(input, at: index) {
                        index = skipToWhitespace(input, from: index)
                        continue
                    }
                    index = appendASCIIRun(input, from: index, into: &output)
                    previousPunctuation = 0
                    exclamationRun = 0
                    continue
                }
                if byte == 0x27 && wordStart >= 0 && index + 1 < count && isASCIILetter(input[index + 1]) {
                    index += 1  // don't → dont
                    continue
                }
                if byte == 0x40 {  // @: an e-mail address or a handle
                    if wordStart >= 0 {
                        discardWord(&output)
                        output.tokens.removeSubrange(chunkTokens...)
                        output.bytes.removeSubrange(chunkBytes...)
                        index = skipToWhitespace(input, from: index)
                    } else {
                        index += 1
                        while index < count, isHandleByte(input[index]) { index += 1 }
                    }
                    continue
                }
                finishWord(&output)
                notePunctuation(byte, &output)
                if byte <= 0x20 {
                    chunkTokens = output.tokens.count
                    chunkBytes = output.bytes.count
                }
                index += 1
                continue
            }

            let (scalarValue, width) = decodeScalar(input, at: index)
            if scalarValue == 0x2019 && wordStart >= 0 && index + width < count && isASCIILetter(input[index + width]) {
                index += width  // don’t → dont
                continue
            }
            previousPunctuation = 0
            exclamationRun = 0
            if isSegmentScript(scalarValue) {
                finishWord(&output)
                index = segmentRun(input, from: index, into: &output)
                continue
            }
            if scalarValue >= 0xFF01 && scalarValue <= 0xFF5E {  // fullwidth ASCII
                let ascii = UInt8(scalarValue - 0xFEE0)
                if isASCIILetterOrDigit(ascii) {
                    appendASCII(ascii, into: &output)
                } else {
                    finishWord(&output)
                    notePunctuation(ascii, &output)
                }
                index += width
                continue
            }
            guard let scalar = Unicode.Scalar(scalarValue) else {
                finishWord(&output)
                index += width
                continue
            }
            if scalarValue >= 0x300 && scalarValue <= 0x36F {  // combining accent: folded away
                index += width
                continue
            }
            let properties = scalar.properties
            if properties.isAlphabetic || properties.numericType != nil
                || properties.generalCategory == .nonspacingMark || properties.generalCategory == .spacingMark
            {
                appendScalar(scalar, properties: properties, width: width, input: input, at: index, into: &output)
            } else {
                finishWord(&output)
                if isAngryEmoji(scalarValue) { output.style.angryEmoji += 1 }
            }
            index += width
        }
        finishWord(&output)
    }

    // MARK: Words

    @inline(__always)
    mutating func openWordIfNeeded(_ output: inout TokenizedMessage) {
        if wordStart < 0 {
            wordStart = output.bytes.count
            wordLetters = 0
            wordUppercase = 0
            wordAllDigits = true
        }
    }

    @inline(__always)
    mutating func appendASCII(_ byte: UInt8, into output: inout TokenizedMessage) {
        openWordIfNeeded(&output)
        if byte >= 0x41 && byte <= 0x5A {
            wordLetters += 1
            wordUppercase += 1
            wordAllDigits = false
            output.bytes.append(byte | 0x20)
        } else if byte >= 0x61 {
            wordLetters += 1
            wordAllDigits = false
            output.bytes.append(byte)
        } else {
            output.bytes.append(byte)
        }
    }

    /// `appendASCII` for every ASCII letter and digit from `start` on, in one copy rather than one
    /// append per byte (most of a message is such runs); returns the index after the run.
    mutating func appendASCIIRun(_ input: UnsafeBufferPointer<UInt8>, from start: Int,
                                 into output: inout TokenizedMessage) -> Int {
        openWordIfNeeded(&output)
        var end = start
        var letters = 0
        var uppercase = 0
        while end < input.count {
            let byte = input[end]
            if isASCIILetter(byte) {
                letters += 1
                if byte <= 0x5A { uppercase += 1 }
            } else if byte < 0x30 || byte > 0x39 {
                break
            }
            end += 1
        }
        wordLetters += letters
        wordUppercase += uppercase
        if letters > 0 { wordAllDigits = false }
        let runStart = output.bytes.count
        output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<end]))
        if uppercase > 0 {
            output.bytes.withUnsafeMutableBufferPointer { bytes in
                for k in runStart..<bytes.count where bytes[k] >= 0x41 && bytes[k] <= 0x5A { bytes[k] |= 0x20 }
            }
        }
        return end
    }

    mutating func appendScalar(_ scalar: Unicode.Scalar, properties: Unicode.Scalar.Properties, width: Int,
                               input: UnsafeBufferPointer<UInt8>, at index: Int, into output: inout TokenizedMessage)
    {
        openWordIfNeeded(&output)
        wordAllDigits = false
        if properties.isAlphabetic {
            wordLetters += 1
            if properties.isUppercase { wordUppercase += 1 }
        }
        if let folded = LetterFolding.folds[scalar.value] {
            output.bytes.append(contentsOf: folded)
        } else if properties.changesWhenLowercased {
            for lower in properties.lowercaseMapping.unicodeScalars {
                appendUTF8(lower, into: &output.bytes)
            }
        } else {
            for offset in 0..<width { output.bytes.append(input[index + offset]) }
        }
    }

    mutating func discardWord(_ output: inout TokenizedMessage) {
        if wordStart >= 0 {
            output.bytes.removeSubrange(wordStart...)
            wordStart = -1
        }
    }

    mutating func finishWord(_ output: inout TokenizedMessage) {
        guard wordStart >= 0 else { return }
        let start = wordStart
        wordStart = -1
        var length = output.bytes.count - start
        if length > MessageTokenizer.maximumTokenBytes {
            output.bytes.removeSubrange(start...)
            return
        }
        if wordLetters >= 3 {
            output.style.longWords += 1
            if wordUppercase == wordLetters { output.style.shoutedWords += 1 }
        }
        if wordAllDigits && length >= 3 {  // numbers become their shape
            for offset in start..<output.bytes.count { output.bytes[offset] = 0x30 }
            // Longer numbers keep an 8-digit shape, and the token its 8 bytes: the character
            // n-grams read `length` bytes from `start`, which would otherwise run into the next
            // word, or past the end into bytes never written.
            if length > 8 {
                output.bytes.removeSubrange((start + 8)...)
                length = 8
            }
        }
        let hash = output.bytes.withUnsafeBufferPointer { buffer in
            Hashing.fnv1a(UnsafeBufferPointer(rebasing: buffer[start...]))
        }
        if length <= Shorthand.longestKey, let expansion = Shorthand.expansions[hash] {
            output.bytes.removeSubrange(start...)
            for word in expansion {
                let wordStart = output.bytes.count
                output.bytes.append(contentsOf: word.bytes)
                appendToken(MessageToken(start: Int32(wordStart), length: Int32(word.bytes.count), hash: word.hash,
                                         isSegment: false), &output)
            }
            return
        }
        appendToken(MessageToken(start: Int32(start), length: Int32(length), hash: hash, isSegment: false), &output)
    }

    @inline(__always)
    mutating func appendToken(_ token: MessageToken, _ output: inout TokenizedMessage) {
        guard !full else { return }
        output.tokens.append(token)
        if output.tokens.count >= MessageTokenizer.maximumTokens { full = true }
    }

    // MARK: Scripts without spaces

    /// Consumes a run of Han/Kana/Thai… characters and emits overlapping bigrams (or the single
    /// character when the run has one).
    mutating func segmentRun(_ input: UnsafeBufferPointer<UInt8>, from start: Int,
                             into output: inout TokenizedMessage) -> Int
    {
        var index = start
        var previous: (offset: Int, width: Int)? = nil
        var emitted = 0
        while index < input.count {
            let (value, width) = decodeScalar(input, at: index)
            guard isSegmentScript(value) else { break }
            if let previous {
                let wordStart = output.bytes.count
                for offset in 0..<(previous.width + width) { output.bytes.append(input[previous.offset + offset]) }
                emitSegment(from: wordStart, &output)
                emitted += 1
            }
            previous = (index, width)
            index += width
        }
        if emitted == 0, let previous {
            let wordStart = output.bytes.count
            for offset in 0..<previous.width { output.bytes.append(input[previous.offset + offset]) }
            emitSegment(from: wordStart, &output)
        }
        return index
    }

    mutating func emitSegment(from start: Int, _ output: inout TokenizedMessage) {
        let hash = output.bytes.withUnsafeBufferPointer { buffer in
            Hashing.fnv1a(UnsafeBufferPointer(rebasing: buffer[start...]))
        }
        appendToken(MessageToken(start: Int32(start), length: Int32(output.bytes.count - start), hash: hash,
                                 isSegment: true), &output)
    }

    // MARK: Punctuation and style

    @inline(__always)
    mutating func notePunctuation(_ byte: UInt8, _ output: inout TokenizedMessage) {
        if byte == 0x21 {  // !
            output.style.exclamationMarks += 1
            exclamationRun += 1
            if exclamationRun == 2 { output.style.exclamationRuns += 1 }
            if previousPunctuation == 0x3F { output.style.interrobangs += 1 }
        } else {
            if byte == 0x3F && previousPunctuation == 0x21 { output.style.interrobangs += 1 }
            if byte != 0x20 || exclamationRun == 0 { exclamationRun = 0 }
        }
        if byte != 0x20 { previousPunctuation = byte }
    }
}

// MARK: - Byte helpers

@inline(__always) private func isASCIILetter(_ byte: UInt8) -> Bool {
    (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A
}

@inline(__always) private func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
    isASCIILetter(byte) || (byte >= 0x30 && byte <= 0x39)
}

@inline(__always) private func isHandleByte(_ byte: UInt8) -> Bool {
    isASCIILetterOrDigit(byte) || byte == 0x5F || byte == 0x2E
}

private func skipToWhitespace(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var index = start
    while index < input.count && input[index] > 0x20 { index += 1 }
    return index
}

/// `http://`, `https://` or `www.` (any case) at `index`.
private func startsURL(_ input: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
    let first = input[index] | 0x20
    guard first == 0x68 || first == 0x77 else { return false }
    func matches(_ pattern: StaticString) -> Bool {
        let length = pattern.utf8CodeUnitCount
        guard index + length <= input.count else { return false }
        let bytes = pattern.utf8Start
        for offset in 0..<length {
            var byte = input[index + offset]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != bytes[offset] { return false }
        }
        return true
    }
    return first == 0x68 ? (matches("http://") || matches("https://")) : matches("www.")
}

/// Decodes the scalar starting at `index`; malformed bytes count as U+FFFD of width 1.
@inline(__always)
private func decodeScalar(_ input: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
    let lead = input[index]
    let remaining = input.count - index
    if lead < 0x80 { return (UInt32(lead), 1) }
    if lead & 0xE0 == 0xC0, remaining >= 2 {
        return ((UInt32(lead & 0x1F) << 6) | UInt32(input[index + 1] & 0x3F), 2)
    }
    if lead & 0xF0 == 0xE0, remaining >= 3 {
        return ((UInt32(lead & 0x0F) << 12) | (UInt32(input[index + 1] & 0x3F) << 6)
                | UInt32(input[index + 2] & 0x3F), 3)
    }
    if lead & 0xF8 == 0xF0, remaining >= 4 {
        return ((UInt32(lead & 0x07) << 18) | (UInt32(input[index + 1] & 0x3F) << 12)
                | (UInt32(input[index + 2] & 0x3F) << 6) | UInt32(input[index + 3] & 0x3F), 4)
    }
    return (0xFFFD, 1)
}

private func appendUTF8(_ scalar: Unicode.Scalar, into bytes: inout [UInt8]) {
    for unit in UTF8.encode(scalar)! { bytes.append(unit) }
}

/// Scripts written without spaces between words.
@inline(__always)
private func isSegmentScript(_ value: UInt32) -> Bool {
    switch value {
    case 0x3040...0x30FF,  // Hiragana, Katakana
         0x31F0...0x31FF,  // Katakana extensions
         0x3400...0x4DBF,  // CJK extension A
         0x4E00...0x9FFF,  // CJK unified ideographs
         0xF900...0xFAFF,  // CJK compatibility ideographs
         0xFF66...0xFF9F,  // halfwidth Katakana
         0x20000...0x2FA1F,  // CJK extensions B…
         0x0E00...0x0EFF,  // Thai, Lao
         0x1000...0x109F,  // Myanmar
         0x1780...0x17FF:  // Khmer
        return true
    default:
        return false
    }
}

@inline(__always)
private func isAngryEmoji(_ value: UInt32) -> Bool {
    switch value {
    case 0x1F620, 0x1F621, 0x1F92C, 0x1F4A2, 0x1F624, 0x1F44E, 0x1F595: return true
    default: return false
    }
}
