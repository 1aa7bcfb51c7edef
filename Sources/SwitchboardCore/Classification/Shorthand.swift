/// SMS and chat shorthand, expanded minimally so that "pls reset my pwd" and "please reset my
/// password" share their features and match the same phrase rules. Only unambiguous forms are
/// listed (no `y`, which is Spanish for "and"; no `no`, which is a word). Contractions lose their
/// apostrophe in the tokenizer first, so `can't`, `cant` and `cannot` all become `cannot`.
enum Shorthand {
    static let table: [(String, String)] = [
        ("pls", "please"), ("plz", "please"), ("pleas", "please"), ("pleeease", "please"),
        ("u", "you"), ("ur", "your"), ("r", "are"), ("yr", "your"),
        ("acct", "account"), ("acc", "account"), ("accnt", "account"), ("acount", "account"),
        ("pwd", "password"), ("pw", "password"), ("passwd", "password"), ("pword", "password"),
        ("pswd", "password"), ("passwrd", "password"),
        ("thx", "thanks"), ("thnx", "thanks"), ("thanx", "thanks"), ("ty", "thanks"),
        ("msg", "message"), ("msgs", "messages"), ("txt", "text"),
        ("pmt", "payment"), ("pymt", "payment"), ("amt", "amount"), ("addr", "address"),
        ("b4", "before"), ("2day", "today"), ("tmrw", "tomorrow"), ("tmr", "tomorrow"), ("2moro", "tomorrow"),
        ("2morrow", "tomorrow"), ("bc", "because"), ("cuz", "because"), ("coz", "because"), ("bcoz", "because"),
        ("idk", "i do not know"), ("nvm", "never mind"), ("rn", "right now"), ("pkg", "package"),
        ("ppl", "people"), ("tho", "though"), ("hrs", "hours"), ("mins", "minutes"), ("wk", "week"),
        ("wks", "weeks"), ("wanna", "want to"), ("gonna", "going to"), ("gotta", "got to"),
        ("cant", "cannot"), ("dont", "do not"), ("doesnt", "does not"),
        ("didnt", "did not"), ("isnt", "is not"), ("wasnt", "was not"), ("arent", "are not"),
        ("werent", "were not"), ("havent", "have not"), ("hasnt", "has not"), ("hadnt", "had not"),
        ("couldnt", "could not"), ("wouldnt", "would not"), ("shouldnt", "should not"), ("wont", "will not"),
        ("aint", "is not"), ("im", "i am"), ("ive", "i have"), ("youre", "you are"), ("theyre", "they are"),
        ("whats", "what is"), ("thats", "that is"), ("theres", "there is"),
    ]

    struct Word: Sendable {
        let bytes: [UInt8]
        let hash: UInt64
    }

    static let expansions = HashKeyedTable<[Word]>(table.map { short, long in
        let words = long.split(separator: " ").map { word -> Word in
            let bytes = Array(word.utf8)
            return Word(bytes: bytes, hash: Hashing.fnv1a(bytes))
        }
        return (Hashing.fnv1a(Array(short.utf8)), words)
    })

    static let longestKey: Int = table.map { $0.0.utf8.count }.max() ?? 0
}
