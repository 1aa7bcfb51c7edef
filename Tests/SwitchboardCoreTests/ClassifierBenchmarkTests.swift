import Dispatch
import Foundation
import SwitchboardCore
import Testing

/// The measurements behind docs/classifier.md, on the public datasets in ../shared/eval.
func classifierEvalDirectory() -> String? {
    guard let path = ProcessInfo.processInfo.environment["SWITCHBOARD_EVAL_DIR"], !path.isEmpty else { return nil }
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue ? path : nil
}

/// CPU time of the calling thread: classifications per second of CPU, fair on a busy machine.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// User plus system CPU time of this process so far (all threads): a fair figure on a busy machine.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Runs only with `SWITCHBOARD_EVAL_DIR=/path/to/shared/eval` (and the folder present); prints
/// figures, never asserts timings. Use a release build for meaningful speeds:
///   SWITCHBOARD_EVAL_DIR=/work/shared/eval swift test -c release --scratch-path .build-clf --filter ClassifierBenchmark
@Suite(.serialized, .enabled(if: classifierEvalDirectory() != nil, "set SWITCHBOARD_EVAL_DIR to ../shared/eval"))
struct ClassifierBenchmarkTests {
    static var evalDirectory: String? { classifierEvalDirectory() }

    /// Options overridable from the environment for experiments (SWITCHBOARD_EVAL_C=0.5, …).
    static func options(labelMapping: LabelMapping? = nil) -> TrainingOptions {
        let environment = ProcessInfo.processInfo.environment
        func number(_ name: String) -> Double? { environment["SWITCHBOARD_EVAL_\(name)"].flatMap(Double.init) }
        var features = FeatureOptions()
        if let value = number("BITS") { features.hashBits = Int(value) }
        if let value = number("WORDN") { features.wordNgrams = Int(value) }
        if let value = number("CHARMIN") { features.charNgramMin = Int(value) }
        if let value = number("CHARMAX") { features.charNgramMax = Int(value) }
        if let value = number("CHARW") { features.charWeight = Float(value) }
        var options = TrainingOptions(features: features, labelMapping: labelMapping)
        if let value = number("C") { options.regularization = value }
        if let value = number("TOL") { options.tolerance = value }
        if let value = number("THREADS") { options.threads = Int(value) }
        return options
    }

    static func clinc(_ split: String, in object: [String: Any]) -> [LabeledExample] {
        (object[split] as? [[Any]] ?? []).compactMap { pair in
            guard pair.count == 2, let text = pair[0] as? String, let label = pair[1] as? String else { return nil }
            return LabeledExample(text: text, label: label)
        }
    }

    @Test func clinc150WithOutOfScopeAsAClass() throws {
        let directory = try #require(Self.evalDirectory)
        let data = try #require(FileManager.default.contents(atPath: "\(directory)/clinc150/data_full.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let train = Self.clinc("train", in: object) + Self.clinc("oos_train", in: object)
        // SWITCHBOARD_EVAL_SPLIT=val evaluates on the validation split (for choosing options).
        let split = ProcessInfo.processInfo.environment["SWITCHBOARD_EVAL_SPLIT"] == "val" ? "val" : "test"
        let test = Self.clinc(split, in: object) + Self.clinc("oos_\(split)", in: object)
        print("CLINC150 full: evaluating on \(split) + oos_\(split) (\(test.count) examples)")
        let options = Self.options()
        let cpuBefore = processCPUSeconds()
        let start = DispatchTime.now()
        let model = try ClassifierTraining.train(examples: train, options: options)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        print("CLINC150 full: trained on \(train.count) examples in \(String(format: "%.2f", seconds)) s wall "
              + "(\(options.threads) threads, \(String(format: "%.2f", processCPUSeconds() - cpuBefore)) s CPU), "
              + "\(model.rowCount) feature rows, \(model.classCount) classes")
        if ProcessInfo.processInfo.environment["SWITCHBOARD_EVAL_SINGLE"] != nil {
            var single = options
            single.threads = 1
            let cpuBefore = processCPUSeconds()
            let singleStart = DispatchTime.now()
            _ = try ClassifierTraining.train(examples: train, options: single)
            let singleSeconds = Double(DispatchTime.now().uptimeNanoseconds - singleStart.uptimeNanoseconds) / 1e9
            print("CLINC150 full: single-thread training \(String(format: "%.2f", singleSeconds)) s wall, "
                  + "\(String(format: "%.2f", processCPUSeconds() - cpuBefore)) s CPU")
        }
        let report = ClassifierEvaluation.evaluate(model: model, examples: test, outOfScopeLabel: "oos")
        print("CLINC150 full, oos as a class, no threshold: in-scope accuracy "
              + "\(String(format: "%.2f", 100 * (report.inScopeAccuracy ?? 0))) %, oos recall "
              + "\(String(format: "%.2f", 100 * (report.outOfScopeRecall ?? 0))) %, macro-F1 "
              + "\(String(format: "%.2f", 100 * report.macroF1)) %, \(Int(report.classificationsPerSecond ?? 0))/s")
        for threshold in [0.2, 0.3, 0.4, 0.5] {
            let thresholded = ClassifierEvaluation.evaluate(model: model, examples: test, threshold: threshold,
                                                            fallbackLabel: "oos", outOfScopeLabel: "oos")
            print("CLINC150 full, threshold \(threshold): in-scope accuracy "
                  + "\(String(format: "%.2f", 100 * (thresholded.inScopeAccuracy ?? 0))) %, oos recall "
                  + "\(String(format: "%.2f", 100 * (thresholded.outOfScopeRecall ?? 0))) %")
        }
        let file = NSTemporaryDirectory() + "clinc-\(getpid()).sbcm"
        try model.quantized().write(path: file)
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let loaded = try ClassifierModel.load(path: file)
        let quantizedReport = ClassifierEvaluation.evaluate(model: loaded, examples: test, outOfScopeLabel: "oos")
        print("CLINC150 full, int8 model file (\(size / 1024) KiB): in-scope accuracy "
              + "\(String(format: "%.2f", 100 * (quantizedReport.inScopeAccuracy ?? 0))) %, oos recall "
              + "\(String(format: "%.2f", 100 * (quantizedReport.outOfScopeRecall ?? 0))) %")
        try? FileManager.default.removeItem(atPath: file)
    }

    @Test func bitextCoarseViaFineIntents() throws {
        let directory = try #require(Self.evalDirectory)
        let all = try TrainingData.load(path: "\(directory)/bitext/Bitext_Sample_Customer_Support_Training_Dataset.csv",
                                        columns: .init(text: "instruction", label: "intent"))
        let splitData = try #require(FileManager.default.contents(atPath: "\(directory)/bitext/split_seed42.json"))
        let split = try #require(try JSONSerialization.jsonObject(with: splitData) as? [String: Any])
        let trainRows = try #require(split["train"] as? [Int])
        let testRows = try #require(split["test"] as? [Int])
        let mapping = try LabelMapping.load(path: "\(directory)/bitext/coarse_mapping.json")
        let train = trainRows.map { all[$0] }
        let test = testRows.map { all[$0] }
        print("Bitext: \(all.count) rows, train \(train.count), test \(test.count)")

        let start = DispatchTime.now()
        let fine = try ClassifierTraining.train(examples: train, options: Self.options(labelMapping: mapping))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let coarse = ClassifierEvaluation.evaluate(model: fine, examples: test)
        print("Bitext → coarse via 27 fine intents: accuracy \(String(format: "%.2f", 100 * coarse.accuracy)) %, "
              + "macro-F1 \(String(format: "%.2f", 100 * coarse.macroF1)) % (trained in \(String(format: "%.2f", seconds)) s)")
        let fineOnly = try ClassifierTraining.train(examples: train, options: Self.options())
        let fineReport = ClassifierEvaluation.evaluate(model: fineOnly, examples: test)
        print("Bitext 27 intents: accuracy \(String(format: "%.2f", 100 * fineReport.accuracy)) %, "
              + "macro-F1 \(String(format: "%.2f", 100 * fineReport.macroF1)) %")
        let direct = try ClassifierTraining.train(
            examples: train.map { LabeledExample(text: $0.text, label: mapping.map($0.label)) }, options: Self.options())
        let directReport = ClassifierEvaluation.evaluate(
            model: direct, examples: test.map { LabeledExample(text: $0.text, label: mapping.map($0.label)) })
        print("Bitext trained on coarse labels directly: accuracy \(String(format: "%.2f", 100 * directReport.accuracy)) %, "
              + "macro-F1 \(String(format: "%.2f", 100 * directReport.macroF1)) %")
        print(coarse.description)
    }

    @Test func clincBankingCoarseViaFine() throws {
        let directory = try #require(Self.evalDirectory)
        let data = try #require(FileManager.default.contents(atPath: "\(directory)/clinc150/data_full.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let mapping = try LabelMapping.load(path: "\(directory)/clinc150/coarse_mapping.json")
        let inDomain = { (example: LabeledExample) in mapping.coarse(for: example.label) != nil }
        let train = (Self.clinc("train", in: object) + Self.clinc("oos_train", in: object)).filter(inDomain)
        let test = (Self.clinc("test", in: object) + Self.clinc("oos_test", in: object)).filter(inDomain)
        let model = try ClassifierTraining.train(examples: train, options: Self.options(labelMapping: mapping))
        let report = ClassifierEvaluation.evaluate(model: model, examples: test)
        print("CLINC banking+credit_cards+oos → coarse via fine (\(train.count) train, \(test.count) test): accuracy "
              + "\(String(format: "%.2f", 100 * report.accuracy)) %, macro-F1 \(String(format: "%.2f", 100 * report.macroF1)) %, "
              + "other recall \(String(format: "%.1f", 100 * (report.outOfScopeRecall ?? 0))) %")
        for threshold in [0.3, 0.4] {
            let thresholded = ClassifierEvaluation.evaluate(model: model, examples: test, threshold: threshold,
                                                            fallbackLabel: "other")
            print("  … with confidence threshold \(threshold) → other: accuracy "
                  + "\(String(format: "%.2f", 100 * thresholded.accuracy)) %, macro-F1 "
                  + "\(String(format: "%.2f", 100 * thresholded.macroF1)) %, other recall "
                  + "\(String(format: "%.1f", 100 * (thresholded.outOfScopeRecall ?? 0))) %")
        }
        // The same test set, but trained on all 150 intents + oos, the other domains' intents mapped to other.
        let all = Self.clinc("train", in: object) + Self.clinc("oos_train", in: object)
        let everythingElse = LabelMapping(Dictionary(uniqueKeysWithValues: Set(all.map(\.label)).map {
            ($0, mapping.coarse(for: $0) ?? "other")
        }))
        let wide = try ClassifierTraining.train(examples: all, options: Self.options(labelMapping: everythingElse))
        let wideReport = ClassifierEvaluation.evaluate(model: wide, examples: test)
        print("CLINC banking+credit_cards+oos → coarse, trained on all 151 classes (other domains → other): accuracy "
              + "\(String(format: "%.2f", 100 * wideReport.accuracy)) %, macro-F1 \(String(format: "%.2f", 100 * wideReport.macroF1)) %, "
              + "other recall \(String(format: "%.1f", 100 * (wideReport.outOfScopeRecall ?? 0))) %")
    }

    @Test func classificationSpeed() throws {
        let classifier = try Classifier()
        guard classifier.model != nil else {
            print("speed: no shipped default model in this build")
            return
        }
        let message = "Hi, I was charged twice for my subscription this month and I need a refund for the second "
            + "payment please"
        let words = message.split(separator: " ").count
        for channel in [Channel.chat, .email] {
            var checksum = 0.0
            for _ in 0..<2_000 { checksum += classifier.classify(text: message, channel: channel).confidence }
            let iterations = 200_000
            let cpuStart = threadCPUSeconds()
            let start = DispatchTime.now()
            for _ in 0..<iterations {
                checksum += classifier.classify(text: message, channel: channel, recentContactCount: 1).confidence
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let cpu = threadCPUSeconds() - cpuStart
            print("speed (\(channel), \(words) words, default model, one thread): "
                  + "\(Int(Double(iterations) / cpu)) classifications per CPU-second "
                  + "(\(String(format: "%.2f", cpu / Double(iterations) * 1e6)) µs each), "
                  + "\(Int(Double(iterations) / seconds))/s wall clock (checksum \(Int(checksum)))")
        }
        let model = try #require(classifier.model)
        var checksum = 0.0
        let iterations = 200_000
        let cpuStart = threadCPUSeconds()
        for _ in 0..<iterations { checksum += model.predict(message).confidence }
        let cpu = threadCPUSeconds() - cpuStart
        print("speed (model only: tokenize + features + score, \(words) words): "
              + "\(Int(Double(iterations) / cpu)) predictions per CPU-second (checksum \(Int(checksum)))")
    }
}
