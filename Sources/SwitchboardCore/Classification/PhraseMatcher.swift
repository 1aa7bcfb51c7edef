/// Finds word sequences in a tokenized message. Phrases are tokenized like messages, so matching
/// is case-, accent- and shorthand-insensitive and respects word boundaries ("log in" does not
/// match "login"; "pwd reset" matches "password reset"). One dictionary look-up per token.
struct PhraseMatcher: Sendable {
    struct Phrase: Sendable {
        var hashes: [UInt64]
        var text: String
        var tag: Int
    }

    private let byFirstWord: HashKeyedTable<[Phrase]>
    let isEmpty: Bool

    /// `tag` identifies what a phrase stands for (a rule index, a lexicon entry).
    init(_ phrases: [(text: String, tag: Int)]) {
        var grouped: [UInt64: [Phrase]] = [:]
        var order: [UInt64] = []
        for (text, tag) in phrases {
            let tokens = MessageTokenizer.tokenize(text)
            guard !tokens.tokens.isEmpty else { continue }
            let phrase = Phrase(hashes: tokens.tokens.map(\.hash), text: tokens.words.joined(separator: " "), tag: tag)
            if grouped[phrase.hashes[0]] == nil { order.append(phrase.hashes[0]) }
            grouped[phrase.hashes[0], default: []].append(phrase)
        }
        byFirstWord = HashKeyedTable(order.map { ($0, grouped[$0]!) })
        isEmpty = order.isEmpty
    }

    /// Calls `body` with each phrase found and the index of its first token.
    @inline(__always)
    func forEachMatch(in message: TokenizedMessage, _ body: (Phrase, Int) -> Void) {
        guard !isEmpty else { return }
        message.tokens.withUnsafeBufferPointer { tokens in
            for index in 0..<tokens.count {
                guard let slot = byFirstWord.index(of: tokens[index].hash) else { continue }
                let candidates = byFirstWord.value(at: slot)
                for phrase in candidates where index + phrase.hashes.count <= tokens.count {
                    var matches = true
                    for offset in 1..<max(1, phrase.hashes.count) where tokens[index + offset].hash != phrase.hashes[offset] {
                        matches = false
                        break
                    }
                    if matches { body(phrase, index) }
                }
            }
        }
    }
}
