import Foundation
import SwitchboardCore
import Testing

// MARK: - Tokenizer

@Suite struct ClassifierTokenizerTests {
    @Test(arguments: [
        ("Hello, World!", ["hello", "world"]),
        ("pls reset my pwd", ["please", "reset", "my", "password"]),
        ("I can't log in to my acct", ["i", "cannot", "log", "in", "to", "my", "account"]),
        ("don’t u have it?", ["do", "not", "you", "have", "it"]),
        ("Rückerstattung für Bestellung", ["ruckerstattung", "fur", "bestellung"]),
        ("RÜCKERSTATTUNG", ["ruckerstattung"]),
        ("Straße", ["strasse"]),
        ("café crème", ["cafe", "creme"]),
        ("cafe\u{301}", ["cafe"]),
        ("Order #58213 and 7", ["order", "00000", "and", "7"]),
        // Numbers of more than 8 digits keep an 8-digit shape, and their token only those bytes.
        ("ref 123456789012 x1y2", ["ref", "00000000", "x1y2"]),
        ("call 491511234567", ["call", "00000000"]),
        ("see https://example.com/x?y=1 now", ["see", "now"]),
        ("mail me at jane.doe@example.com thx", ["mail", "me", "at", "thanks"]),
        ("@AcmeHelp my order #fail", ["my", "order", "fail"]),
        ("log-in", ["log", "in"]),
        ("ＡＢＣ１２", ["abc12"]),
        ("我忘记密码", ["我忘", "忘记", "记密", "密码"]),
        ("ログインできません", ["ログ", "グイ", "イン", "ンで", "でき", "きま", "ませ", "せん"]),
        ("Привет МИР", ["привет", "мир"]),
        ("Ελληνικά", ["ελληνικα"]),
        ("", []),
        ("!!! ??? ...", []),
        // ASCII letter and digit runs are copied whole: case, digits and the run's ends.
        ("A", ["a"]),
        ("MiXeD123CaSe99 ZZZ zzz", ["mixed123case99", "zzz", "zzz"]),
        ("x1Y2z3 12 123", ["x1y2z3", "12", "000"]),
        ("ÉCOLE Straße9X", ["ecole", "strasse9x"]),
        ("ab'CD it’S", ["abcd", "its"]),
        (String(repeating: "Ab", count: 24) + " " + String(repeating: "Ab", count: 25) + " end",
         [String(repeating: "ab", count: 24), "end"]),
    ] as [(String, [String])])
    func words(_ text: String, _ expected: [String]) {
        #expect(MessageTokenizer.tokenize(text).words == expected)
    }

    @Test func styleCountsShoutingAndExclamations() {
        let style = MessageTokenizer.tokenize("THIS IS COMPLETELY UNACCEPTABLE!!! Why?! 😡").style
        #expect(style.longWords == 4)
        #expect(style.shoutedWords == 3)
        #expect(style.exclamationRuns == 1)
        #expect(style.interrobangs == 1)
        #expect(style.angryEmoji == 1)
        // Capitals counted across a word that mixes ASCII runs with other letters and digits.
        let mixed = MessageTokenizer.tokenize("ÉCOLE ÉCOLe AB1CD ab1CD").style
        #expect(mixed.longWords == 4)
        #expect(mixed.shoutedWords == 2)
    }

    @Test func longMessagesAreCapped() {
        let text = Array(repeating: "word", count: 5000).joined(separator: " ")
        #expect(MessageTokenizer.tokenize(text).count == MessageTokenizer.maximumTokens)
    }
}

// MARK: - Text preparation

@Suite struct ClassifierTextPreparationTests {
    @Test(arguments: [
        ("Where is my refund?\n\nOn Tue, 4 Jun 2024 at 09:12, Acme <s@acme.example> wrote:\n> Your refund was issued.",
         "Where is my refund?"),
        ("Where is my refund?\n\nOn Tue, 4 Jun 2024 at 09:12, Acme Support\n<support@acme.example> wrote:\n> Issued.",
         "Where is my refund?"),
        ("Thanks, still broken.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nSubject: Ticket",
         "Thanks, still broken."),
        ("Please cancel.\n\nFrom: Acme Support <s@acme.example>\nSent: Monday, 3 June 2024 10:00\nTo: me\nSubject: Re: x\n\nDear customer",
         "Please cancel."),
        ("Bitte kündigen.\n\nVon: Acme\nGesendet: Montag, 3. Juni 2024\nAn: mich\nBetreff: Vertrag", "Bitte kündigen."),
        ("Bitte kündigen.\n\nAm 03.06.2024 um 10:00 schrieb Acme <s@acme.example>:\n> Hallo", "Bitte kündigen."),
        ("Merci de résilier.\n\nLe lun. 3 juin 2024 à 10:00, Acme <s@acme.example> a écrit :\n> Bonjour",
         "Merci de résilier."),
        ("My app crashes.\n\nSent from my iPhone", "My app crashes."),
        ("My app crashes.\n\n-- \nJohn Smith\nACME Corp", "My app crashes."),
        ("My app crashes on start.\n\nBest regards,\nJohn Smith\nHead of IT\n+44 20 7946 0000", "My app crashes on start."),
        ("Hi,\n> quoted line\nmy new text", "Hi,\nmy new text"),
        ("Thanks\nbut the real question is below: where is my order?\nIt has been two weeks and nothing arrived.",
         "Thanks\nbut the real question is below: where is my order?\nIt has been two weeks and nothing arrived."),
        ("> only a quote", "> only a quote"),
        ("single line -- with dashes", "single line -- with dashes"),
        ("Grüße\r> kein Zeilenumbruch\r-- ", "Grüße\r> kein Zeilenumbruch\r-- "),
        ("Grüße\n> zitiert", "Grüße"),
    ] as [(String, String)])
    func stripsQuotesAndSignatures(_ text: String, _ expected: String) {
        #expect(TextPreparation.stripQuotesAndSignature(text) == expected)
    }

    @Test func subjectIsCleanedAndPrepended() {
        #expect(TextPreparation.cleanSubject("RE: Fwd: AW: Refund request") == "Refund request")
        let prepared = TextPreparation.prepare(text: "see below\n\nSent from my iPhone", subject: "Re: Refund", channel: .email)
        #expect(prepared == "Refund\nsee below")
    }

    /// The subject and the body are joined by one line feed, byte for byte, whatever their sizes
    /// (strings of up to 15 bytes are stored inline) and scripts.
    @Test(arguments: [("Re: x", "y"), ("AW: Ärger", "Grüße 😀"), ("Benchmark message 7", String(repeating: "long body ", count: 40)),
                      ("short", "fifteen bytes!!"), ("e\u{301}", "\u{301}combining first"), ("日本語の件名", "本文")])
    func subjectAndBodyAreJoinedByOneLineFeed(_ subject: String, _ body: String) {
        let prepared = TextPreparation.prepare(text: body, subject: subject, channel: .sms)
        #expect(Array(prepared.utf8) == Array((TextPreparation.cleanSubject(subject) + "\n" + body).utf8))
    }

    @Test func shortChannelsAreLeftAlone() {
        let text = "> not a quote on sms\nSent from my iPhone"
        #expect(TextPreparation.prepare(text: text, channel: .sms) == text)
    }
}

// MARK: - Frustration

@Suite struct ClassifierFrustrationTests {
    static let classifier = try! Classifier(model: nil)

    @Test(arguments: [
        // text, recent contacts, angry ≥, urgent ≥, repeated, frustrated
        ("Where is my order?", 0, 0.0, 0.0, false, false),
        ("This is UNACCEPTABLE!!! Third time I'm writing!", 0, 0.9, 0.0, false, true),
        ("WHY IS MY ACCOUNT STILL LOCKED", 0, 0.6, 0.0, false, true),
        ("what the hell, my bill doubled", 0, 0.5, 0.0, false, true),
        ("I need this fixed urgently, asap please", 0, 0.0, 1.0, false, false),
        ("not urgent, whenever you have time", 0, 0.0, 0.0, false, false),
        ("hello, any update?", 5, 0.0, 0.0, true, false),
        ("still not working and nobody has answered. ridiculous 😡", 4, 0.9, 0.0, true, true),
        ("Das ist eine Frechheit, ich brauche sofort eine Antwort", 0, 0.5, 0.6, false, true),
        ("This is unacceptable.", 0, 0.5, 0.0, false, true),
        ("urgent: please call me back today", 3, 0.0, 0.8, true, true),
    ] as [(String, Int, Double, Double, Bool, Bool)])
    func signals(_ text: String, _ contacts: Int, _ angry: Double, _ urgent: Double, _ repeated: Bool, _ frustrated: Bool) {
        let signal = Self.classifier.classify(text: text, channel: .chat, recentContactCount: contacts).frustration
        #expect(signal.angry >= angry, "\(signal)")
        if angry == 0 { #expect(signal.angry < 0.2, "\(signal)") }
        #expect(signal.urgent >= urgent, "\(signal)")
        if urgent == 0 { #expect(signal.urgent < 0.3, "\(signal)") }
        #expect(signal.repeatedContact == repeated)
        #expect(signal.isFrustrated == frustrated, "\(signal)")
        #expect((0...1).contains(signal.score))
    }

    @Test func repeatedContactThresholdIsConfigurable() throws {
        let classifier = try Classifier(configuration: .init(frustration: .init(repeatedContactThreshold: 10)), model: nil)
        #expect(!classifier.classify(text: "hi", recentContactCount: 5).frustration.repeatedContact)
        #expect(classifier.classify(text: "hi", recentContactCount: 10).frustration.repeatedContact)
    }
}

// MARK: - Training, model, mapping

/// A tiny labelled set: four types, distinct vocabularies.
enum SyntheticData {
    static let examples: [LabeledExample] = {
        let topics: [(String, [String])] = [
            ("billing", ["refund my payment", "invoice is wrong", "charged twice on my card", "billing question about the fee",
                         "payment refund please", "my invoice total", "card charge refund", "fee on my bill"]),
            ("technical", ["app crashes on start", "error when I open the app", "router has no signal", "the app freezes",
                           "wifi is broken", "crash after update", "error code on screen", "signal drops on router"]),
            ("order_status", ["where is my parcel", "delivery is late", "tracking number for my package", "parcel not delivered",
                              "package still in transit", "late delivery of my parcel", "track my package", "courier delivery"]),
            ("cancellation", ["cancel my subscription", "terminate the contract", "close my account for good", "cancel membership",
                              "end my contract", "stop the subscription", "cancel the plan", "terminate membership"]),
        ]
        return topics.flatMap { label, texts in texts.map { LabeledExample(text: $0, label: label) } }
    }()

    static func model(mapping: LabelMapping? = nil) throws -> ClassifierModel {
        var options = TrainingOptions(features: FeatureOptions(hashBits: 16), labelMapping: mapping, threads: 1)
        options.temperature = 4
        return try ClassifierTraining.train(examples: examples, options: options)
    }
}

@Suite struct ClassifierTrainingTests {
    @Test func learnsASmallSyntheticSet() throws {
        let model = try SyntheticData.model()
        let report = ClassifierEvaluation.evaluate(model: model, examples: SyntheticData.examples)
        #expect(report.accuracy == 1)
        #expect(model.predict("my parcel tracking").label == "order_status")
        #expect(model.predict("the app shows an error").label == "technical")
        #expect(model.predict("please cancel my plan").label == "cancellation")
        #expect(model.predict("refund the fee").label == "billing")
    }

    @Test func trainingIsDeterministicAndIndependentOfThreads() throws {
        var options = TrainingOptions(features: FeatureOptions(hashBits: 16), threads: 1)
        let one = try ClassifierTraining.train(examples: SyntheticData.examples, options: options)
        options.threads = 4
        let four = try ClassifierTraining.train(examples: SyntheticData.examples, options: options)
        for text in ["where is my refund", "router crash", "cancel"] {
            #expect(one.predict(text).scores == four.predict(text).scores)
        }
    }

    @Test func writeLoadRoundTripGivesIdenticalScores() throws {
        let model = try SyntheticData.model()
        let texts = ["where is my refund", "app crash after the update", "cancel it", "zzz unknown words", ""]
        let lossless = try ClassifierModel(serialized: model.serialized(encoding: .float32))
        for text in texts { #expect(lossless.predict(text).scores == model.predict(text).scores) }

        let quantized = model.quantized()
        let reloaded = try ClassifierModel(serialized: quantized.serialized(encoding: .int8))
        for text in texts {
            #expect(reloaded.predict(text).scores == quantized.predict(text).scores)
            #expect(reloaded.predict(text).label == model.predict(text).label)
        }
        #expect(reloaded.labels == model.labels)
        #expect(quantized.serialized(encoding: .int8) == reloaded.serialized(encoding: .int8))

        let path = NSTemporaryDirectory() + "switchboard-classifier-\(getpid()).sbcm"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try quantized.write(path: path)
        let fromFile = try ClassifierModel.load(path: path)
        #expect(fromFile.predict("cancel it").scores == quantized.predict("cancel it").scores)
    }

    @Test func damagedModelFilesAreRejected() throws {
        var bytes = [UInt8](try SyntheticData.model().serialized())
        bytes[bytes.count / 2] ^= 0xFF
        #expect(throws: ClassifierError.self) { try ClassifierModel(serialized: Data(bytes)) }
        #expect(throws: ClassifierError.self) { try ClassifierModel(serialized: Data("not a model".utf8)) }
    }

    @Test func labelMappingSumsFineProbabilitiesIntoCoarseTypes() throws {
        let mapping = LabelMapping(["billing": "money", "cancellation": "leaving"])
        let model = try SyntheticData.model(mapping: mapping)
        #expect(model.labels == ["billing", "cancellation", "order_status", "technical"])
        #expect(Set(model.outputLabels) == ["money", "leaving", "order_status", "technical"])
        let prediction = model.predict("refund my card payment")
        #expect(prediction.label == "money")
        #expect(prediction.fineLabel == "billing")
        #expect(abs(prediction.probabilities.reduce(0, +) - 1) < 1e-9)
        // Fine-labelled evaluation data is mapped before comparing.
        let report = ClassifierEvaluation.evaluate(model: model, examples: SyntheticData.examples)
        #expect(report.accuracy == 1)
        #expect(report.labels.map(\.label).contains("money"))
    }

    @Test func labelMappingFilesInBothShapes() throws {
        let flat = try LabelMapping.parse(Data(#"{"get_refund": "billing", "track_order": "order_status"}"#.utf8))
        #expect(flat.map("get_refund") == "billing")
        #expect(flat.map("unknown") == "unknown")
        let nested = try LabelMapping.parse(Data(#"{"notes": "x", "fine_to_coarse": {"oos": "other"}}"#.utf8))
        #expect(nested.coarse(for: "oos") == "other")
        #expect(throws: ClassifierError.self) { try LabelMapping.parse(Data("[1]".utf8)) }
    }

    @Test func trainingDataReadsCSVWithQuotedFieldsAndJSONLines() throws {
        let csv = "id,utterance,intent\n1,\"Hello, \"\"world\"\"\",greet\n2,\"two\nlines\",other\r\n3,plain,x\n"
        let examples = try TrainingData.parseCSV(Data(csv.utf8), columns: .init(text: "utterance", label: "intent"))
        #expect(examples.map(\.text) == ["Hello, \"world\"", "two\nlines", "plain"])
        #expect(examples.map(\.label) == ["greet", "other", "x"])

        let jsonl = "{\"text\": \"a\", \"label\": \"b\", \"channel\": \"sms\"}\n\n{\"text\": \"c\", \"label\": 3}\n"
        let lines = try TrainingData.parseJSONLines(Data(jsonl.utf8))
        #expect(lines == [LabeledExample(text: "a", label: "b", channel: .sms), LabeledExample(text: "c", label: "3")])
        #expect(throws: ClassifierError.self) { try TrainingData.parseJSONLines(Data("{\"text\": 1}\n".utf8)) }
    }

    @Test func evaluationReportFigures() {
        let report = EvaluationReport(expected: ["a", "a", "b", "oos", "oos"], predicted: ["a", "b", "b", "oos", "a"])
        #expect(report.accuracy == 0.6)
        #expect(report.outOfScopeLabel == "oos")
        #expect(report.inScopeAccuracy == 2.0 / 3.0)
        #expect(report.outOfScopeRecall == 0.5)
        #expect(report.confusions.first?.count == 1)
        #expect(report.description.contains("macro-F1"))
    }
}

// MARK: - Classifier: rules, threshold, taxonomy

@Suite struct ClassifierDecisionTests {
    @Test func rulesBeatTheModelAndCarryTheirID() throws {
        let rules = [
            ClassificationRule(id: "gdpr-request", type: .information, phrases: ["delete my data", "GDPR"]),
            ClassificationRule(id: "vip-cancel", type: .complaint, patterns: [#"\bcancel(l?ation)?\b.*\bVIP\b"#]),
        ]
        let classifier = try Classifier(configuration: .init(rules: rules), model: try SyntheticData.model())
        let byModel = classifier.classify(text: "please cancel my subscription")
        #expect(byModel.type == .cancellation)
        #expect(byModel.decidedBy.ruleID == nil)

        let byPhrase = classifier.classify(text: "Cancel my subscription and DELETE MY DATA please")
        #expect(byPhrase.type == .information)
        #expect(byPhrase.decidedBy == .rule(id: "gdpr-request", matched: "delete my data"))
        #expect(byPhrase.confidence == 1)
        #expect(byPhrase.runnerUps.first?.type == .cancellation)

        let byPattern = classifier.classify(text: "I want a cancellation, I am a VIP customer")
        #expect(byPattern.decidedBy.ruleID == "vip-cancel")
        #expect(byPattern.type == .complaint)

        // Word boundaries: "gdprs" is not "gdpr".
        #expect(classifier.classify(text: "gdprs").decidedBy.ruleID == nil)
    }

    @Test func firstMatchingRuleInConfigurationOrderWins() throws {
        let rules = [
            ClassificationRule(id: "first", type: .billing, patterns: ["refund"]),
            ClassificationRule(id: "second", type: .complaint, phrases: ["unacceptable"]),
        ]
        let classifier = try Classifier(configuration: .init(rules: rules), model: nil)
        #expect(classifier.classify(text: "unacceptable, where is my refund").decidedBy.ruleID == "first")
        #expect(classifier.classify(text: "unacceptable").decidedBy.ruleID == "second")
    }

    @Test func rulesCanBeLimitedToChannels() throws {
        let rule = ClassificationRule(id: "social-complaints", type: .complaint, phrases: ["#fail"], channels: [.social])
        let classifier = try Classifier(configuration: .init(rules: [rule]), model: nil)
        #expect(classifier.classify(text: "what a #fail", channel: .social).type == .complaint)
        #expect(classifier.classify(text: "what a #fail", channel: .email).decidedBy.ruleID == nil)
    }

    @Test func belowTheThresholdTheTypeIsOther() throws {
        let model = try SyntheticData.model()
        let text = "hello there, nice weather today"
        let strict = try Classifier(configuration: .init(confidenceThreshold: 0.99), model: model)
        let result = strict.classify(text: text)
        #expect(result.type == .other)
        guard case .belowThreshold(let original, _) = result.decidedBy else {
            Issue.record("expected belowThreshold, got \(result.decidedBy)")
            return
        }
        #expect(original != .other)
        #expect(result.runnerUps.first?.type == original)

        let lenient = try Classifier(configuration: .init(confidenceThreshold: 0), model: model)
        #expect(lenient.classify(text: text).type == original)
    }

    @Test func modelDecisionsNameTheirFeatures() throws {
        let classifier = try Classifier(model: try SyntheticData.model())
        let result = classifier.classify(text: "where is my parcel?")
        #expect(result.type == .orderStatus)
        guard case .model(let features) = result.decidedBy else {
            Issue.record("expected a model decision, got \(result.decidedBy)")
            return
        }
        #expect(!features.isEmpty && features.count <= 5)
        #expect(features.contains { $0.feature == "word:parcel" || $0.feature.hasPrefix("chars:") })
        #expect(features.map(\.weight) == features.map(\.weight).sorted(by: >))
        #expect(result.runnerUps.count == 2)
    }

    /// Runner-ups are the full ranking (`typeProbabilities`, sorted) without the chosen type and
    /// zero probabilities, cut to `runnerUpCount`: for model, below-threshold and rule decisions.
    @Test(arguments: [1, 2, 3, 8, 50])
    func runnerUpsAreTheTopOfTheFullRanking(count: Int) throws {
        let rule = ClassificationRule(id: "cancel", type: .cancellation, phrases: ["cancel my contract"])
        let classifier = try Classifier(configuration: .init(rules: [rule], confidenceThreshold: 0.5, runnerUpCount: count))
        let texts = [
            "where is my parcel?", "I was charged twice, refund please", "hello", "", "cancel my contract now",
            "my router keeps dropping the connection", "Ärger mit der Rechnung!!!", "what are your opening hours?",
        ]
        for text in texts {
            let result = classifier.classify(text: text)
            let expected = classifier.typeProbabilities(text: text).filter { $0.type != result.type && $0.score > 0 }
            #expect(result.runnerUps == Array(expected.prefix(count)), "\(text)")
        }
    }

    @Test func modelLabelsOutsideTheTaxonomyCountAsOther() throws {
        let classifier = try Classifier(configuration: .init(types: [.billing, .other], confidenceThreshold: 0),
                                        model: try SyntheticData.model())
        #expect(classifier.classify(text: "cancel my subscription").type == .other)
        #expect(classifier.classify(text: "refund my payment").type == .billing)
    }

    @Test(arguments: [
        (ClassifierConfiguration(types: [.billing]), "classifier.no-other"),
        (ClassifierConfiguration(confidenceThreshold: 1.5), "classifier.threshold"),
        (ClassifierConfiguration(rules: [.init(id: "a", type: .billing, phrases: ["x"]), .init(id: "a", type: .sales, phrases: ["y"])]),
         "rule.duplicate-id"),
        (ClassifierConfiguration(rules: [.init(id: "a", type: "returns", phrases: ["x"])]), "rule.unknown-type"),
        (ClassifierConfiguration(rules: [.init(id: "a", type: .billing)]), "rule.empty"),
        (ClassifierConfiguration(rules: [.init(id: "a", type: .billing, patterns: ["(unclosed"])]), "rule.bad-pattern"),
        (ClassifierConfiguration(rules: [.init(id: "a", type: .billing, phrases: ["!!!"])]), "rule.empty-phrase"),
    ] as [(ClassifierConfiguration, String)])
    func invalidConfigurationsAreRejected(_ configuration: ClassifierConfiguration, _ code: String) {
        do {
            _ = try Classifier(configuration: configuration, model: nil)
            Issue.record("expected \(code)")
        } catch let error as ClassifierError {
            #expect(error.code == code)
            #expect(!error.place.isEmpty && !error.hint.isEmpty)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func configurationDecodesWithDefaults() throws {
        let json = #"{"rules": [{"id": "r1", "type": "billing", "phrases": ["invoice copy"]}], "confidenceThreshold": 0.3}"#
        let configuration = try JSONDecoder().decode(ClassifierConfiguration.self, from: Data(json.utf8))
        #expect(configuration.types == InquiryType.defaultTaxonomy)
        #expect(configuration.rules.first?.patterns == [])
        #expect(configuration.confidenceThreshold == 0.3)
        #expect(configuration.frustration.repeatedContactThreshold == 3)
    }
}

// MARK: - The shipped default model

@Suite struct ClassifierDefaultModelTests {
    static let classifier = try! Classifier()

    @Test func isCompiledIn() throws {
        let model = try #require(ClassifierModel.shippedDefault)
        #expect(Set(model.outputLabels) == Set(InquiryType.defaultTaxonomy.map(\.rawValue)))
    }

    @Test(arguments: [
        ("I was charged twice for my subscription this month, please refund one payment", Channel.email, InquiryType.billing),
        ("can you send me a copy of my last invoice", .chat, .billing),
        ("the app crashes every time I open it", .chat, .technical),
        ("no internet since this morning, router light is red", .sms, .technical),
        ("I forgot my password and can't log in", .chat, .accountAccess),
        ("my acct is locked pls help", .sms, .accountAccess),
        ("where is my order? it was supposed to arrive on Monday", .chat, .orderStatus),
        ("@ShopCo my parcel still hasn't been delivered, tracking hasn't moved", .social, .orderStatus),
        ("what are your opening hours on saturday?", .chat, .information),
        ("what is your return policy?", .chat, .information),
        ("Your staff were rude and this service is a disgrace, I want to file a complaint", .email, .complaint),
        ("worst customer service ever, nobody helps", .social, .complaint),
        ("I'd like to upgrade to the premium plan", .chat, .sales),
        ("can you send us a quote for 30 licenses?", .email, .sales),
        ("please cancel my subscription", .chat, .cancellation),
        ("I want to close my account", .chat, .cancellation),
        ("thanks, that's all", .chat, .other),
        ("what's the weather like tomorrow?", .chat, .other),
    ] as [(String, Channel, InquiryType)])
    func classifiesObviousExamples(_ text: String, _ channel: Channel, _ expected: InquiryType) {
        let result = Self.classifier.classify(text: text, channel: channel)
        #expect(result.type == expected, "\(text) → \(result.type) \(result.confidence) \(result.runnerUps) \(result.decidedBy)")
    }

    @Test func emailQuotesDoNotDecide() {
        let email = """
            Hi, my parcel hasn't arrived yet, can you check the delivery?

            On Mon, 3 Jun 2024 at 10:00, Acme Billing <billing@acme.example> wrote:
            > Your refund for the invoice has been issued to your card. Refund, refund, invoice, payment.
            """
        #expect(Self.classifier.classify(text: email, channel: .email).type == .orderStatus)
    }

    @Test func classifiesAnInboundMessage() {
        let message = InboundMessage(channel: .email, adapterID: "mailbox", externalID: "1",
                                     sender: Identity(kind: .email, value: "jane@example.com"),
                                     subject: "Cancel subscription", text: "Please stop it from next month.\n\nSent from my iPhone")
        let result = Self.classifier.classify(message, recentContactCount: 0)
        #expect(result.type == .cancellation)
    }
}
