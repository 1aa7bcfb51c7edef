import Dispatch
import Foundation

/// Accuracy, macro-F1, per-label precision and recall, and the most frequent confusions of a
/// model or a whole classifier on labelled examples: what `switchboard eval` prints.
public struct EvaluationReport: Sendable, CustomStringConvertible {
    public struct LabelMetrics: Sendable, Hashable {
        public var label: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Examples with this expected label.
        public var support: Int
        /// Examples predicted as this label.
        public var predicted: Int
    }

    public struct Confusion: Sendable, Hashable {
        public var expected: String
        public var predicted: String
        public var count: Int
    }

    public var count: Int
    public var correct: Int
    public var accuracy: Double
    /// The unweighted mean of per-label F1 over every label expected or predicted.
    public var macroF1: Double
    public var labels: [LabelMetrics]
    /// Off-diagonal (expected, predicted) pairs, most frequent first.
    public var confusions: [Confusion]
    /// The label of out-of-scope examples (`oos`, `other`), when the data has one.
    public var outOfScopeLabel: String?
    /// Accuracy on the examples whose expected label is not the out-of-scope one.
    public var inScopeAccuracy: Double?
    public var inScopeCount: Int
    /// Recall of the out-of-scope label.
    public var outOfScopeRecall: Double?
    public var outOfScopeCount: Int
    /// The confidence threshold applied (0: none).
    public var threshold: Double
    /// Single-thread throughput of the evaluation loop, preparation and tokenization included.
    public var classificationsPerSecond: Double?

    /// Builds the report from expected and predicted labels.
    public init(expected: [String], predicted: [String], outOfScopeLabel: String? = nil, threshold: Double = 0,
                classificationsPerSecond: Double? = nil)
    {
        precondition(expected.count == predicted.count)
        count = expected.count
        correct = zip(expected, predicted).filter { $0 == $1 }.count
        accuracy = count == 0 ? 0 : Double(correct) / Double(count)
        self.threshold = threshold
        self.classificationsPerSecond = classificationsPerSecond

        var support: [String: Int] = [:]
        var predictedCount: [String: Int] = [:]
        var truePositives: [String: Int] = [:]
        var pairs: [String: Int] = [:]
        for (truth, guess) in zip(expected, predicted) {
            support[truth, default: 0] += 1
            predictedCount[guess, default: 0] += 1
            if truth == guess {
                truePositives[truth, default: 0] += 1
            } else {
                pairs[truth + "\u{0}" + guess, default: 0] += 1
            }
        }
        let allLabels = Set(support.keys).union(predictedCount.keys).sorted()
        labels = allLabels.map { label in
            let hits = Double(truePositives[label] ?? 0)
            let supported = support[label] ?? 0
            let guessed = predictedCount[label] ?? 0
            let precision = guessed == 0 ? 0 : hits / Double(guessed)
            let recall = supported == 0 ? 0 : hits / Double(supported)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            return LabelMetrics(label: label, precision: precision, recall: recall, f1: f1, support: supported,
                                predicted: guessed)
        }
        macroF1 = labels.isEmpty ? 0 : labels.map(\.f1).reduce(0, +) / Double(labels.count)
        confusions = pairs.map { key, count in
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false)
            return Confusion(expected: String(parts[0]), predicted: String(parts[1]), count: count)
        }.sorted { ($0.count, $1.expected, $1.predicted) > ($1.count, $0.expected, $0.predicted) }

        let outOfScope = outOfScopeLabel ?? ["oos", "other"].first { support[$0] != nil }
        self.outOfScopeLabel = outOfScope
        var inScope = 0
        var inScopeCorrect = 0
        var outCount = 0
        var outCorrect = 0
        for (truth, guess) in zip(expected, predicted) {
            if truth == outOfScope {
                outCount += 1
                if guess == truth { outCorrect += 1 }
            } else {
                inScope += 1
                if guess == truth { inScopeCorrect += 1 }
            }
        }
        inScopeCount = inScope
        outOfScopeCount = outCount
        inScopeAccuracy = outOfScope == nil || inScope == 0 ? nil : Double(inScopeCorrect) / Double(inScope)
        outOfScopeRecall = outCount == 0 ? nil : Double(outCorrect) / Double(outCount)
    }

    public var description: String {
        var lines: [String] = []
        lines.append("examples \(count)   accuracy \(percent(accuracy))   macro-F1 \(percent(macroF1))"
                     + (threshold > 0 ? "   threshold \(threshold)" : ""))
        if let outOfScopeLabel, let outOfScopeRecall {
            let inScope = inScopeAccuracy.map(percent) ?? "-"
            lines.append("in-scope accuracy \(inScope) (\(inScopeCount))   out-of-scope recall \(percent(outOfScopeRecall)) "
                         + "(label \(outOfScopeLabel), \(outOfScopeCount))")
        }
        if let classificationsPerSecond {
            lines.append("speed \(Int(classificationsPerSecond)) classifications/s on one thread")
        }
        let width = max(12, labels.map(\.label.count).max() ?? 0)
        lines.append("")
        lines.append(pad("label", width) + "  precision  recall      F1  support  predicted")
        for metrics in labels {
            lines.append(pad(metrics.label, width) + "  " + leftPad(percent(metrics.precision), 9) + "  "
                         + leftPad(percent(metrics.recall), 6) + "  " + leftPad(percent(metrics.f1), 6) + "  "
                         + leftPad(String(metrics.support), 7) + "  " + leftPad(String(metrics.predicted), 9))
        }
        if !confusions.isEmpty {
            lines.append("")
            lines.append("most frequent confusions (expected → predicted):")
            for confusion in confusions.prefix(15) {
                lines.append(leftPad(String(confusion.count), 6) + "  \(confusion.expected) → \(confusion.predicted)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

private func percent(_ value: Double) -> String {
    let tenths = Int((value * 1000).rounded())
    return "\(tenths / 10).\(tenths % 10)%"
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

private func leftPad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

/// Runs a model or a classifier over labelled examples and reports.
public enum ClassifierEvaluation {
    /// The model alone: texts are prepared as in training, the best output label is the
    /// prediction, or `fallbackLabel` when its probability is below `threshold`. Expected labels
    /// that the model's label mapping mentions are mapped first, so fine-labelled data can be
    /// evaluated against a model that reports coarse labels.
    public static func evaluate(model: ClassifierModel, examples: [LabeledExample], threshold: Double = 0,
                                fallbackLabel: String? = nil, outOfScopeLabel: String? = nil) -> EvaluationReport
    {
        let fallback = fallbackLabel ?? (model.outputLabels.contains("oos") ? "oos" : "other")
        var predicted: [String] = []
        predicted.reserveCapacity(examples.count)
        let start = DispatchTime.now()
        for example in examples {
            let prediction = model.predict(example.preparedText)
            predicted.append(threshold > 0 && prediction.confidence < threshold ? fallback : prediction.label)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let expected = examples.map { model.labelMapping?.map($0.label) ?? $0.label }
        return EvaluationReport(expected: expected, predicted: predicted, outOfScopeLabel: outOfScopeLabel,
                                threshold: threshold,
                                classificationsPerSecond: seconds > 0 ? Double(examples.count) / seconds : nil)
    }

    /// The whole classifier (rules, model, threshold, taxonomy): the type's raw value is the
    /// prediction.
    public static func evaluate(classifier: Classifier, examples: [LabeledExample]) -> EvaluationReport {
        let start = DispatchTime.now()
        let predicted = examples.map {
            classifier.classify(text: $0.text, channel: $0.channel ?? .other).type.rawValue
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return EvaluationReport(expected: examples.map(\.label), predicted: predicted,
                                outOfScopeLabel: InquiryType.other.rawValue,
                                threshold: classifier.configuration.confidenceThreshold,
                                classificationsPerSecond: seconds > 0 ? Double(examples.count) / seconds : nil)
    }
}
