/// How upset and how pressed for time a customer sounds, and whether they keep writing: the
/// router raises priority on it and agents see it before they open the message.
public struct FrustrationSignal: Sendable, Hashable, Codable {
    /// 0…1: anger and exasperation (lexicon, profanity, shouting, `!!`, angry emoji, "still not",
    /// "third time").
    public var angry: Double
    /// 0…1: time pressure ("urgent", "asap", "immediately", "emergency", "today").
    public var urgent: Double
    /// The contact wrote `repeatedContactThreshold` or more messages in the recent past (a fact
    /// the router passes in, not a guess from the text).
    public var repeatedContact: Bool
    /// 0…1, a noisy-or of the three: `1 − (1 − angry)(1 − 0.4·urgent)(1 − 0.4·repeated)`, so
    /// anger alone can flag a message, urgency or repeated contact alone cannot.
    public var score: Double
    /// What fired, for agents and admins: `angry:unacceptable`, `profanity`, `shouting`, `!!`,
    /// `urgent:asap`, `repeat:third time`, `contacts:4`.
    public var cues: [String]

    public init(angry: Double = 0, urgent: Double = 0, repeatedContact: Bool = false, score: Double = 0,
                cues: [String] = [])
    {
        self.angry = angry
        self.urgent = urgent
        self.repeatedContact = repeatedContact
        self.score = score
        self.cues = cues
    }

    /// The threshold the router and the agent UI use to flag a message.
    public var isFrustrated: Bool { score >= 0.5 }
}

/// Tuning for the frustration signal; part of the classifier's configuration.
public struct FrustrationOptions: Sendable, Hashable, Codable {
    /// `recentContactCount` at or above which `repeatedContact` is set.
    public var repeatedContactThreshold: Int
    /// More words or phrases that signal anger or urgency (a centre's own vocabulary).
    public var extraAngryPhrases: [String]
    public var extraUrgentPhrases: [String]

    public init(repeatedContactThreshold: Int = 3, extraAngryPhrases: [String] = [], extraUrgentPhrases: [String] = []) {
        self.repeatedContactThreshold = repeatedContactThreshold
        self.extraAngryPhrases = extraAngryPhrases
        self.extraUrgentPhrases = extraUrgentPhrases
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FrustrationOptions()
        repeatedContactThreshold = try container.decodeIfPresent(Int.self, forKey: .repeatedContactThreshold)
            ?? defaults.repeatedContactThreshold
        extraAngryPhrases = try container.decodeIfPresent([String].self, forKey: .extraAngryPhrases) ?? []
        extraUrgentPhrases = try container.decodeIfPresent([String].self, forKey: .extraUrgentPhrases) ?? []
    }
}

/// Computes `FrustrationSignal`s from a tokenized message. The lexicons are matched on
/// normalized tokens (so "UNACCEPTABLE", "unacceptable!!" and "inacceptable" in French all count)
/// and are listed in `docs/classifier.md`.
struct FrustrationDetector: Sendable {
    enum Kind: Int {
        case angryStrong, angryMild, profanity, repeatCue, urgentStrong, urgentMild
    }

    static let angryStrong = [
        "unacceptable", "ridiculous", "outrageous", "disgusting", "disgraceful", "appalling", "terrible", "horrible",
        "awful", "worst", "useless", "pathetic", "incompetent", "furious", "livid", "angry", "fed up", "sick of",
        "sick and tired", "had enough", "a joke", "scam", "scammers", "rip off", "ripoff", "shameful", "shame on you",
        "never again", "rubbish", "garbage", "absurd", "unbelievable", "hopeless", "waste of time", "beyond frustrated",
        "lousy", "insulting", "how dare",
        // German, French, Spanish, Italian, Portuguese (accents are folded)
        "unverschamt", "frechheit", "unverschamtheit", "katastrophe", "lacherlich", "wutend", "sauer", "betrug",
        "inacceptable", "honteux", "scandaleux", "ridicule", "furieux", "arnaque", "inaceptable", "vergonzoso",
        "ridiculo", "estafa", "harto", "harta", "inaccettabile", "vergogna", "ridicolo", "truffa", "inaceitavel",
        "absurdo", "vergonha",
    ]
    static let angryMild = [
        "frustrated", "frustrating", "annoyed", "annoying", "disappointed", "disappointing", "unhappy", "not happy",
        "upset", "nonsense", "seriously", "come on", "enttauscht", "argerlich", "decu", "decue",
        "decepcionado", "decepcionada", "deluso", "delusa",
    ]
    static let profanity = [
        "damn", "dammit", "goddamn", "crap", "crappy", "shit", "shitty", "bullshit", "fuck", "fucking", "fucked",
        "fck", "f ck", "fk", "wtf", "ffs", "stfu", "piss", "pissed", "pissed off", "bloody hell", "what the hell",
        "asshole", "bastards", "screw you", "sucks", "scheisse", "mist", "merde", "putain", "mierda", "joder",
        "cazzo", "porra",
    ]
    static let repeatCues = [
        "third time", "fourth time", "fifth time", "second time", "3rd time", "again and again", "yet again",
        "how many times", "still not", "still no", "still have not", "still waiting", "still nothing",
        "already called", "already emailed", "already contacted", "already wrote", "already written",
        "already asked", "already told", "already sent", "keep asking", "keep calling", "keep emailing",
        "several times", "multiple times", "many times", "nobody has", "no one has", "never heard back",
        "no response", "no reply", "no answer", "for the last time", "every time", "zum dritten mal",
        "schon wieder", "immer noch", "mehrmals", "encore une fois", "toujours pas", "plusieurs fois", "otra vez",
        "todavia no", "varias veces", "ancora una volta", "di nuovo", "ainda nao",
    ]
    static let urgentStrong = [
        "urgent", "urgently", "asap", "immediately", "emergency", "as soon as possible", "critical",
        "time sensitive", "right away", "right now", "straight away", "dringend", "sofort", "eilig", "umgehend",
        "urgence", "immediatement", "au plus vite", "urgente", "urgentemente", "inmediatamente",
        "lo antes posible", "cuanto antes", "subito", "al piu presto", "imediatamente",
    ]
    static let urgentMild = [
        "today", "tonight", "quickly", "hurry", "deadline", "by tomorrow", "heute", "schnell",
        "aujourd hui", "vite", "hoy", "rapido", "oggi", "hoje",
    ]

    private let matcher: PhraseMatcher
    private let negations: Set<UInt64>
    let options: FrustrationOptions

    init(options: FrustrationOptions = FrustrationOptions()) {
        self.options = options
        var phrases: [(text: String, tag: Int)] = []
        func add(_ list: [String], _ kind: Kind) { phrases += list.map { ($0, kind.rawValue) } }
        add(Self.angryStrong + options.extraAngryPhrases, .angryStrong)
        add(Self.angryMild, .angryMild)
        add(Self.profanity, .profanity)
        add(Self.repeatCues, .repeatCue)
        add(Self.urgentStrong + options.extraUrgentPhrases, .urgentStrong)
        add(Self.urgentMild, .urgentMild)
        matcher = PhraseMatcher(phrases)
        negations = Set(["not", "no", "never", "nicht", "kein", "pas", "sin"].map { Hashing.fnv1a(Array($0.utf8)) })
    }

    func detect(_ message: TokenizedMessage, recentContactCount: Int) -> FrustrationSignal {
        var angry = 0.0
        var urgent = 0.0
        var cues: [String] = []
        var seenProfanity = false
        matcher.forEachMatch(in: message) { phrase, index in
            // "not urgent", "no rush … not a problem": a negated cue does not count.
            if index > 0 && negations.contains(message.tokens[index - 1].hash) && phrase.hashes.count == 1 { return }
            switch Kind(rawValue: phrase.tag)! {
            case .angryStrong:
                angry += 0.5
                cues.append("angry:\(phrase.text)")
            case .angryMild:
                angry += 0.25
                cues.append("angry:\(phrase.text)")
            case .profanity:
                if !seenProfanity {
                    angry += 0.5
                    cues.append("profanity")
                    seenProfanity = true
                }
            case .repeatCue:
                angry += 0.3
                cues.append("repeat:\(phrase.text)")
            case .urgentStrong:
                urgent += 0.6
                cues.append("urgent:\(phrase.text)")
            case .urgentMild:
                urgent += 0.25
                cues.append("urgent:\(phrase.text)")
            }
        }
        let style = message.style
        if style.shoutedRatio >= 0.5 {
            angry += 0.6
            cues.append("shouting")
        } else if style.shoutedRatio >= 0.3 {
            angry += 0.3
            cues.append("shouting")
        }
        if style.exclamationRuns > 0 {
            angry += style.exclamationRuns > 1 ? 0.3 : 0.2
            cues.append("!!")
        }
        if style.interrobangs > 0 {
            angry += 0.15
            cues.append("?!")
        }
        if style.angryEmoji > 0 {
            angry += 0.4
            cues.append("angry emoji")
        }
        let repeated = recentContactCount >= options.repeatedContactThreshold
        if recentContactCount > 0 && repeated { cues.append("contacts:\(recentContactCount)") }
        angry = min(1, angry)
        urgent = min(1, urgent)
        let score = 1 - (1 - angry) * (1 - 0.4 * urgent) * (repeated ? 0.6 : 1)
        return FrustrationSignal(angry: angry, urgent: urgent, repeatedContact: repeated,
                                 score: (score * 1000).rounded() / 1000, cues: cues)
    }
}
