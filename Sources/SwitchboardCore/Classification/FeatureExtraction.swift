/// Which features the classifier computes from a tokenized message, and how many hash buckets
/// they share. Stored in the model file: a model is always read with the options it was trained
/// with.
public struct FeatureOptions: Sendable, Hashable, Codable {
    /// 2^hashBits buckets. 20 (about a million) keeps collisions rare for tens of thousands of
    /// distinct n-grams; the model only stores the buckets training saw.
    public var hashBits: Int
    /// 1 = words, 2 = words and word pairs, 3 = also word triples.
    public var wordNgrams: Int
    /// Character n-grams inside word boundaries (the word padded with a space on each side);
    /// 0 for none. They make the model robust to typos, inflections and compounds.
    public var charNgramMin: Int
    public var charNgramMax: Int
    /// The word and character groups are each normalized, then scaled by these weights.
    public var wordWeight: Float
    public var charWeight: Float

    public init(hashBits: Int = 20, wordNgrams: Int = 2, charNgramMin: Int = 2, charNgramMax: Int = 5,
                wordWeight: Float = 1, charWeight: Float = 1)
    {
        self.hashBits = max(8, min(hashBits, 28))
        self.wordNgrams = max(1, min(wordNgrams, 3))
        self.charNgramMin = max(0, charNgramMin)
        self.charNgramMax = charNgramMin <= 0 ? 0 : max(charNgramMin, min(charNgramMax, 8))
        self.wordWeight = wordWeight
        self.charWeight = charWeight
    }

    var usesCharNgrams: Bool { charNgramMin > 0 && charNgramMax >= charNgramMin }
}

/// The two feature groups; each is normalized on its own.
enum FeatureGroup: UInt32 {
    case word = 0
    case char = 1
}

/// Where a feature came from, so that an explanation can name it.
struct FeatureOrigin {
    var group: FeatureGroup
    /// For words: the first token and the number of tokens. For characters: the token, and the
    /// scalar offset and length inside the padded token.
    var token: Int
    var count: Int
    var offset: Int
}

extension FeatureOrigin {
    /// Packed into 32 bits: group (1), count (4; 15 for a single segment character), offset (7),
    /// token (20).
    var packed: UInt32 {
        let countBits = UInt32(count < 0 ? 15 : min(count, 14))
        return (group.rawValue << 31) | (countBits << 27) | (UInt32(min(offset, 127)) << 20)
            | UInt32(min(token, 0xFFFFF))
    }

    init(packed: UInt32) {
        group = packed >> 31 == 0 ? .word : .char
        let countBits = Int((packed >> 27) & 0xF)
        count = countBits == 15 ? -1 : countBits
        offset = Int((packed >> 20) & 0x7F)
        token = Int(packed & 0xFFFFF)
    }
}

/// The deduplicated hashed features of one message with their term counts. Word features come
/// first (`0..<wordCount`), character features after.
struct HashedFeatures {
    var buckets: [UInt32] = []
    var counts: [Float] = []
    var wordCount = 0
}

enum FeatureExtraction {
    private static let wordSeed: UInt64 = 0x5745_4f52_4431_0001
    private static let pairSeed: UInt64 = 0x5745_4f52_4432_0002
    private static let tripleSeed: UInt64 = 0x5745_4f52_4433_0003
    private static let charSeed: UInt64 = 0x4348_4152_4e47_0004
    private static let pairMultiplier: UInt64 = 0x9e37_79b9_7f4a_7c15

    /// An upper bound on the number of feature occurrences, for sizing buffers.
    static func occurrenceBound(_ message: TokenizedMessage, _ options: FeatureOptions) -> Int {
        let tokens = message.tokens.count
        var bound = tokens * options.wordNgrams + 1
        if options.usesCharNgrams {
            let span = options.charNgramMax - options.charNgramMin + 1
            bound += (message.bytes.count + 2 * tokens) * span
        }
        return bound
    }

    /// Calls `body` for every feature occurrence, in a fixed order: word n-grams, then character
    /// n-grams token by token. Allocation-free; the closure is inlined into the hot path.
    @inline(__always)
    static func forEachFeature(_ message: TokenizedMessage, _ options: FeatureOptions,
                               _ body: (UInt32, FeatureOrigin) -> Void)
    {
        let shift = UInt64(64 - options.hashBits)
        message.tokens.withUnsafeBufferPointer { tokens in
            let count = tokens.count
            for index in 0..<count {
                let hash = tokens[index].hash
                body(UInt32(truncatingIfNeeded: Hashing.mix(hash ^ wordSeed) >> shift),
                     FeatureOrigin(group: .word, token: index, count: 1, offset: 0))
                if options.wordNgrams >= 2 && index >= 1 {
                    let pair = (tokens[index - 1].hash &* pairMultiplier) ^ hash ^ pairSeed
                    body(UInt32(truncatingIfNeeded: Hashing.mix(pair) >> shift),
                         FeatureOrigin(group: .word, token: index - 1, count: 2, offset: 0))
                    if options.wordNgrams >= 3 && index >= 2 {
                        let triple = ((tokens[index - 2].hash &* pairMultiplier) ^ tokens[index - 1].hash)
                            &* pairMultiplier ^ hash ^ tripleSeed
                        body(UInt32(truncatingIfNeeded: Hashing.mix(triple) >> shift),
                             FeatureOrigin(group: .word, token: index - 2, count: 3, offset: 0))
                    }
                }
            }
            guard options.usesCharNgrams else { return }
            let minimum = options.charNgramMin
            let maximum = options.charNgramMax
            message.bytes.withUnsafeBufferPointer { bytes in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: MessageTokenizer.maximumTokenBytes + 3) { starts in
                    for index in 0..<count {
                        let token = tokens[index]
                        let first = Int(token.start)
                        let end = first + Int(token.length)
                        if token.isSegment {
                            // Chinese, Japanese, Thai: each character on its own, like a word piece.
                            var position = first
                            while position < end {
                                let width = scalarWidth(bytes[position])
                                var hash = Hashing.fnvOffset ^ charSeed
                                for offset in position..<min(position + width, end) {
                                    hash = (hash ^ UInt64(bytes[offset])) &* Hashing.fnvPrime
                                }
                                body(UInt32(truncatingIfNeeded: Hashing.quickMix(hash) >> shift),
                                     FeatureOrigin(group: .char, token: index, count: -1, offset: position - first))
                                position += width
                            }
                            continue
                        }
                        // Scalar start offsets of " token " (the pads are virtual: offset -1 and end).
                        var scalars = 0
                        starts[scalars] = -1
                        scalars += 1
                        var position = first
                        while position < end {
                            starts[scalars] = position
                            scalars += 1
                            position += scalarWidth(bytes[position])
                        }
                        starts[scalars] = end
                        scalars += 1
                        starts[scalars] = end + 1  // sentinel: one past the closing pad
                        for startScalar in 0..<scalars {
                            var hash = Hashing.fnvOffset ^ charSeed
                            var length = 0
                            var scalar = startScalar
                            while length < maximum && scalar < scalars {
                                let from = starts[scalar]
                                if from < first || from >= end {
                                    hash = (hash ^ 0x20) &* Hashing.fnvPrime
                                } else {
                                    for offset in from..<starts[scalar + 1] {
                                        hash = (hash ^ UInt64(bytes[offset])) &* Hashing.fnvPrime
                                    }
                                }
                                length += 1
                                scalar += 1
                                if length >= minimum {
                                    body(UInt32(truncatingIfNeeded: Hashing.quickMix(hash) >> shift),
                                         FeatureOrigin(group: .char, token: index, count: length, offset: startScalar))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The features of a message, counted and deduplicated per group (open addressing in a
    /// scratch table; no allocation per feature).
    static func extract(_ message: TokenizedMessage, _ options: FeatureOptions) -> HashedFeatures {
        let bound = occurrenceBound(message, options)
        var tableBits = 4
        while (1 << tableBits) < bound * 2 { tableBits += 1 }
        let tableSize = 1 << tableBits
        let mask = tableSize - 1
        let shift = UInt32(32 - tableBits)
        let empty = UInt32.max
        var distinct = 0
        var wordCount = 0
        var counts: [Float] = []
        let buckets = [UInt32](unsafeUninitializedCapacity: bound) { bucketsOut, bucketsCount in
            counts = [Float](unsafeUninitializedCapacity: bound) { countsOut, countsCount in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: tableSize) { keys in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: tableSize) { slots in
                        keys.initialize(repeating: empty)
                        forEachFeature(message, options) { bucket, origin in
                            let key = bucket | (origin.group.rawValue << 31)
                            var slot = Int((key &* 0x9e37_79b1) >> shift)
                            while true {
                                let existing = keys[slot]
                                if existing == key {
                                    countsOut[Int(slots[slot])] += 1
                                    return
                                }
                                if existing == empty {
                                    keys[slot] = key
                                    slots[slot] = Int32(distinct)
                                    bucketsOut[distinct] = bucket
                                    countsOut[distinct] = 1
                                    distinct += 1
                                    if origin.group == .word { wordCount = distinct }
                                    return
                                }
                                slot = (slot &+ 1) & mask
                            }
                        }
                    }
                }
                countsCount = distinct
            }
            bucketsCount = distinct
        }
        return HashedFeatures(buckets: buckets, counts: counts, wordCount: wordCount)
    }

    /// A readable name for a feature, for explanations.
    static func name(of origin: FeatureOrigin, in message: TokenizedMessage) -> String {
        switch origin.group {
        case .word:
            let words = (origin.token..<(origin.token + origin.count)).map { message.word(at: $0) }
            return origin.count == 1 ? "word:\(words[0])" : "words:\(words.joined(separator: " "))"
        case .char:
            let word = message.word(at: origin.token)
            if origin.count < 0 {
                let bytes = Array(word.utf8)
                let start = origin.offset
                let width = scalarWidth(bytes[start])
                return "chars:" + String(decoding: bytes[start..<min(start + width, bytes.count)], as: UTF8.self)
            }
            let padded = Array(("_" + word + "_").unicodeScalars)
            let upper = min(origin.offset + origin.count, padded.count)
            var text = ""
            text.unicodeScalars.append(contentsOf: padded[origin.offset..<upper])
            return "chars:\(text)"
        }
    }
}

@inline(__always)
func scalarWidth(_ lead: UInt8) -> Int {
    if lead < 0x80 { return 1 }
    if lead & 0xE0 == 0xC0 { return 2 }
    if lead & 0xF0 == 0xE0 { return 3 }
    if lead & 0xF8 == 0xF0 { return 4 }
    return 1
}
