import Foundation
import SwitchboardCore

/// `switchboard train | eval | classify`: the inquiry classifier from the command line
/// (docs/classifier.md). The shipped default model is built into the binary; these commands
/// train others, measure them, and show what a message would be classified as, and why.
enum TrainCommand {
    static let help = """
    usage: switchboard train --data FILE --out MODEL [--mapping FILE] [--text-column NAME]
                             [--label-column NAME] [--folds N] [--seed N]

    Trains a classifier model from labelled examples and writes it to MODEL.
      --data FILE         CSV/TSV (with a header row; quoted fields) or JSONL, one example per
                          row with a text and a label
      --mapping FILE      JSON {"fine_label": "coarse_type", …}: train on fine intents and
                          predict coarse types (scores are summed per coarse type)
      --text-column, --label-column   column or key names (default: text, label)
      --folds N           cross-validation folds used to calibrate confidences (default 5; 0 = off)
      --seed N            random seed (default 1); the same data and seed give the same model
    Prints the training time and the accuracy on the training data. Use the model with
    'switchboard classify --model MODEL' or in adapters.json (classifier.model).
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "train", valueOptions: ["--data", "--out", "--mapping", "--text-column", "--label-column", "--folds", "--seed"])
        if args.has("--help") { print(help); return 0 }
        guard let data = args["--data"], let out = args["--out"] else {
            throw Arguments.UsageError(description: "train needs --data FILE and --out MODEL; see 'switchboard train --help'")
        }
        let columns = TrainingData.Columns(text: args["--text-column"] ?? "text", label: args["--label-column"] ?? "label")
        let examples = try TrainingData.load(path: data, columns: columns)
        guard !examples.isEmpty else { throw Arguments.UsageError(description: "\(data) holds no examples") }
        var options = TrainingOptions()
        options.calibrationFolds = Int(args["--folds"] ?? "5") ?? 5
        if let seed = args["--seed"] { options.seed = UInt64(seed) ?? 1 }
        if let mapping = args["--mapping"] { options.labelMapping = try LabelMapping.load(path: mapping) }
        let started = Date()
        let model = try ClassifierTraining.train(examples: examples, options: options)
        let seconds = Date().timeIntervalSince(started)
        try model.write(path: out)
        let labels = Set(examples.map(\.label)).count
        print(String(format: "trained on %d examples (%d labels) in %.2f s; wrote %@", examples.count, labels, seconds, out))
        let report = ClassifierEvaluation.evaluate(model: model, examples: examples)
        print(String(format: "accuracy on the training data: %.2f %% (use 'switchboard eval' on held-out data for a real figure)", report.accuracy * 100))
        return 0
    }
}

enum EvalCommand {
    static let help = """
    usage: switchboard eval --data FILE [--model MODEL] [--mapping FILE] [--threshold X]
                            [--oos-label NAME] [--text-column NAME] [--label-column NAME]

    Measures a model on labelled data it was not trained on: accuracy, macro-F1, precision and
    recall per type, and the most frequent confusions. Without --model, the shipped default.
      --mapping FILE      map the data's fine labels to coarse types before comparing
      --threshold X       below this confidence a prediction becomes the fallback label (default 0)
      --oos-label NAME    the out-of-scope label, for in-scope accuracy and out-of-scope recall
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "eval", valueOptions: ["--data", "--model", "--mapping", "--threshold", "--oos-label", "--text-column", "--label-column"])
        if args.has("--help") { print(help); return 0 }
        guard let data = args["--data"] else {
            throw Arguments.UsageError(description: "eval needs --data FILE; see 'switchboard eval --help'")
        }
        let model = try loadModel(args["--model"])
        let mapping = try args["--mapping"].map(LabelMapping.load(path:))
        let columns = TrainingData.Columns(text: args["--text-column"] ?? "text", label: args["--label-column"] ?? "label")
        let examples = try TrainingData.load(path: data, labelMapping: mapping, columns: columns)
        let report = ClassifierEvaluation.evaluate(model: model, examples: examples, threshold: Double(args["--threshold"] ?? "0") ?? 0,
                                                   outOfScopeLabel: args["--oos-label"])
        print(report)
        return 0
    }
}

enum ClassifyCommand {
    static let help = """
    usage: switchboard classify [--model MODEL] [--subject TEXT] [--channel CHANNEL] TEXT

    Classifies one message as the daemon would: inquiry type, confidence, runner-up types, the
    frustration signal, and what decided it (an admin rule by id, or the model's strongest
    features). Without --model, the shipped default model. '-' as TEXT reads stdin.
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "classify", valueOptions: ["--model", "--subject", "--channel"])
        if args.has("--help") { print(help); return 0 }
        var text = args.positionals.joined(separator: " ")
        if text == "-" { text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
        guard !text.isEmpty else {
            throw Arguments.UsageError(description: "classify needs the message text; see 'switchboard classify --help'")
        }
        var channel = Channel.other
        if let name = args["--channel"] {
            guard let parsed = Channel(rawValue: name) else {
                throw Arguments.UsageError(description: "'\(name)' is not a channel (one of: \(Channel.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            channel = parsed
        }
        let classifier = try Classifier(model: try loadModel(args["--model"]))
        let classification = classifier.classify(text: text, subject: args["--subject"], channel: channel)
        print(classification.description)
        return 0
    }
}

private func loadModel(_ path: String?) throws -> ClassifierModel {
    if let path { return try ClassifierModel.load(path: path) }
    guard let model = ClassifierModel.shippedDefault else {
        throw Arguments.UsageError(description: "this binary has no default model; pass --model MODEL")
    }
    return model
}
