import Foundation

/// An admin's rule: when a message contains one of these phrases, or matches one of these
/// patterns, it is of this type, whatever the model thinks. Rules are tried in configuration
/// order and the first that matches decides; its id appears in the explanation.
///
/// Phrases are matched on normalized words: case-insensitive, accent-insensitive, SMS shorthand
/// expanded, and only at word boundaries ("log in" matches "Log-in" but not "login"). Patterns
/// are ICU regular expressions (NSRegularExpression), case-insensitive, matched against the
/// prepared text (quotes and signature stripped, subject in front).
public struct ClassificationRule: Sendable, Hashable, Codable {
    public var id: String
    public var type: InquiryType
    public var phrases: [String]
    public var patterns: [String]
    /// The rule applies only to messages from these channels; nil or empty: all channels.
    public var channels: [Channel]?

    public init(id: String, type: InquiryType, phrases: [String] = [], patterns: [String] = [],
                channels: [Channel]? = nil)
    {
        self.id = id
        self.type = type
        self.phrases = phrases
        self.patterns = patterns
        self.channels = channels
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        type = try container.decode(InquiryType.self, forKey: .type)
        phrases = try container.decodeIfPresent([String].self, forKey: .phrases) ?? []
        patterns = try container.decodeIfPresent([String].self, forKey: .patterns) ?? []
        channels = try container.decodeIfPresent([Channel].self, forKey: .channels)
    }
}

/// The configured rules, compiled once: phrases into one `PhraseMatcher`, patterns into regular
/// expressions.
struct CompiledRules: @unchecked Sendable {
    // NSRegularExpression is immutable and documented thread-safe for matching.
    private let rules: [ClassificationRule]
    private let phrases: PhraseMatcher
    private let patterns: [[NSRegularExpression]]

    var isEmpty: Bool { rules.isEmpty }

    init(_ rules: [ClassificationRule]) throws {
        self.rules = rules
        var phraseList: [(text: String, tag: Int)] = []
        var patterns: [[NSRegularExpression]] = []
        for (index, rule) in rules.enumerated() {
            let place = "classifier.rules[\(index)] (\(rule.id))"
            for phrase in rule.phrases {
                guard !MessageTokenizer.tokenize(phrase).tokens.isEmpty else {
                    throw ClassifierError(code: "rule.empty-phrase", place: place,
                                          hint: "the phrase \"\(phrase)\" has no letters or digits")
                }
                phraseList.append((phrase, index))
            }
            var compiled: [NSRegularExpression] = []
            for pattern in rule.patterns {
                do {
                    compiled.append(try NSRegularExpression(pattern: pattern, options: [.caseInsensitive]))
                } catch {
                    throw ClassifierError(code: "rule.bad-pattern", place: place,
                                          hint: "\"\(pattern)\" is not a valid regular expression (ICU syntax)")
                }
            }
            patterns.append(compiled)
        }
        self.phrases = PhraseMatcher(phraseList)
        self.patterns = patterns
    }

    /// The first rule (in configuration order) that matches, with what it matched.
    func firstMatch(tokens: TokenizedMessage, text: String, channel: Channel) -> (rule: ClassificationRule, matched: String)? {
        guard !rules.isEmpty else { return nil }
        var best: (index: Int, matched: String)? = nil
        phrases.forEachMatch(in: tokens) { phrase, _ in
            let rule = rules[phrase.tag]
            guard rule.applies(to: channel) else { return }
            if best == nil || phrase.tag < best!.index { best = (phrase.tag, phrase.text) }
        }
        let limit = best?.index ?? rules.count
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        for index in 0..<limit where !patterns[index].isEmpty && rules[index].applies(to: channel) {
            for expression in patterns[index] {
                if let match = expression.firstMatch(in: text, options: [], range: range),
                   let matchedRange = Range(match.range, in: text)
                {
                    return (rules[index], String(text[matchedRange]))
                }
            }
        }
        return best.map { (rules[$0.index], $0.matched) }
    }
}

extension ClassificationRule {
    func applies(to channel: Channel) -> Bool {
        guard let channels, !channels.isEmpty else { return true }
        return channels.contains(channel)
    }
}
