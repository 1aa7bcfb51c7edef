import Dispatch
import Foundation

/// One labelled text for training or evaluation.
public struct LabeledExample: Sendable, Hashable {
    public var text: String
    public var label: String
    /// When known, the text is prepared as a message of that channel (e-mail quotes and
    /// signatures stripped); otherwise as `.other`, which strips them too.
    public var channel: Channel?

    public init(text: String, label: String, channel: Channel? = nil) {
        self.text = text
        self.label = label
        self.channel = channel
    }

    var preparedText: String { TextPreparation.prepare(text: text, channel: channel ?? .other) }
}

/// How to train. The defaults are the ones the benchmarks in `docs/classifier.md` were measured
/// with.
public struct TrainingOptions: Sendable {
    public var features: FeatureOptions
    /// The SVM's C: larger fits the training data more closely.
    public var regularization: Double
    /// Passes over the data at most, per class.
    public var maximumPasses: Int
    /// Stop when the projected-gradient spread falls below this (liblinear's ε).
    public var tolerance: Double
    /// Seeds the order in which examples are visited: same data and seed, same model.
    public var seed: UInt64
    /// Train on the examples' (fine) labels and report coarse ones.
    public var labelMapping: LabelMapping?
    /// Softmax temperature for probabilities. Nil: fitted by cross-validation when
    /// `calibrationFolds` > 1, else `ClassifierTraining.defaultTemperature`.
    public var temperature: Double?
    public var calibrationFolds: Int
    /// Buckets seen in fewer examples are dropped.
    public var minimumDocumentFrequency: Int
    /// Classes are trained in parallel on this many threads; the result does not depend on it.
    public var threads: Int

    public init(features: FeatureOptions = FeatureOptions(), regularization: Double = 1.0, maximumPasses: Int = 200,
                tolerance: Double = 0.1, seed: UInt64 = 42, labelMapping: LabelMapping? = nil,
                temperature: Double? = nil, calibrationFolds: Int = 0, minimumDocumentFrequency: Int = 1,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount)
    {
        self.features = features
        self.regularization = regularization
        self.maximumPasses = maximumPasses
        self.tolerance = tolerance
        self.seed = seed
        self.labelMapping = labelMapping
        self.temperature = temperature
        self.calibrationFolds = calibrationFolds
        self.minimumDocumentFrequency = minimumDocumentFrequency
        self.threads = max(1, threads)
    }
}

/// Trains a `ClassifierModel`: one-vs-rest linear SVMs (L2-regularized squared hinge, bias as a
/// constant feature) solved exactly by dual coordinate descent with shrinking (Hsieh et al.
/// 2008, the algorithm of liblinear and scikit-learn's LinearSVC) over TF-IDF weighted hashed
/// n-grams. Deterministic for a given seed; classes train in parallel.
public enum ClassifierTraining {
    public static let defaultTemperature = 4.0

    public static func train(examples: [LabeledExample], options: TrainingOptions = TrainingOptions()) throws
        -> ClassifierModel
    {
        guard !examples.isEmpty else {
            throw ClassifierError(code: "training.empty", place: "training data", hint: "no examples to train on")
        }
        let features = extractAll(examples.map(\.preparedText), options: options.features, threads: options.threads)
        var model = trainOnFeatures(features, labels: examples.map(\.label), options: options,
                                    temperature: options.temperature ?? defaultTemperature)
        if options.temperature == nil && options.calibrationFolds > 1 && examples.count >= options.calibrationFolds * 2 {
            let temperature = calibrateTemperature(features: features, labels: examples.map(\.label), options: options)
            model = model.withTemperature(temperature)
        }
        // No timestamps or timings: the same data and options give the same bytes.
        return model.withInfo([
            "examples": String(examples.count),
            "regularization": String(options.regularization),
            "seed": String(options.seed),
        ])
    }

    // MARK: Features

    static func extractAll(_ texts: [String], options: FeatureOptions, threads: Int) -> [HashedFeatures] {
        var result = [HashedFeatures](repeating: HashedFeatures(), count: texts.count)
        result.withUnsafeMutableBufferPointer { output in
            let shared = UnsafeShared(output)
            parallelFor(count: texts.count, threads: threads) { index in
                shared.value[index] = FeatureExtraction.extract(MessageTokenizer.tokenize(texts[index]), options)
            }
        }
        return result
    }

    // MARK: Training

    /// The sparse matrix of TF-IDF vectors, one row per example.
    struct Matrix {
        var rowStart: [Int] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        var squaredNorms: [Float] = []
    }

    static func trainOnFeatures(_ features: [HashedFeatures], labels exampleLabels: [String], options: TrainingOptions,
                                temperature: Double) -> ClassifierModel
    {
        let featureOptions = options.features
        let count = features.count
        let labels = Array(Set(exampleLabels)).sorted()
        let classOfLabel = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let targets = exampleLabels.map { Int32(classOfLabel[$0]!) }

        // Document frequencies, columns (buckets seen in training, ascending) and IDF.
        let bucketCount = 1 << featureOptions.hashBits
        var documentFrequency = [Int32](repeating: 0, count: bucketCount)
        for example in features {
            for bucket in example.buckets { documentFrequency[Int(bucket)] += 1 }
        }
        var columnOfBucket = [Int32](repeating: -1, count: bucketCount)
        var rowBuckets: [UInt32] = []
        var idf: [Float] = []
        let minimum = Int32(max(1, options.minimumDocumentFrequency))
        for bucket in 0..<bucketCount where documentFrequency[bucket] >= minimum {
            columnOfBucket[bucket] = Int32(rowBuckets.count)
            rowBuckets.append(UInt32(bucket))
            idf.append(Float(log(Double(1 + count) / Double(1 + Int(documentFrequency[bucket]))) + 1))
        }
        let columns = rowBuckets.count
        let classes = labels.count

        // A provisional model with zero weights gives the exact vectors scoring will see.
        let vectorizer = ClassifierModel(labels: labels, labelMapping: nil, featureOptions: featureOptions,
                                         temperature: temperature, info: [:], rowBuckets: rowBuckets, idf: idf,
                                         weights: [Float](repeating: 0, count: columns * classes),
                                         bias: [Float](repeating: 0, count: classes))
        var matrix = Matrix()
        matrix.columns.reserveCapacity(features.reduce(0) { $0 + $1.buckets.count })
        matrix.values.reserveCapacity(matrix.columns.capacity)
        for example in features {
            let values = vectorizer.featureValues(example)
            var squares: Float = 0
            for (index, bucket) in example.buckets.enumerated() where values[index] != 0 {
                let column = columnOfBucket[Int(bucket)]
                if column < 0 { continue }
                matrix.columns.append(column)
                matrix.values.append(values[index])
                squares += values[index] * values[index]
            }
            matrix.rowStart.append(matrix.columns.count)
            matrix.squaredNorms.append(squares)
        }

        // One binary SVM per class, written class-major, then transposed to feature-major rows.
        let finishedMatrix = matrix
        var classMajor = [Float](repeating: 0, count: classes * columns)
        var bias = [Float](repeating: 0, count: classes)
        classMajor.withUnsafeMutableBufferPointer { classMajor in
            bias.withUnsafeMutableBufferPointer { bias in
                let weightsOut = UnsafeShared(classMajor)
                let biasOut = UnsafeShared(bias)
                parallelFor(count: classes, threads: options.threads) { target in
                    let (w, b) = trainBinary(matrix: finishedMatrix, targets: targets, positive: Int32(target), columns: columns,
                                             options: options)
                    for column in 0..<columns { weightsOut.value[target * columns + column] = w[column] }
                    biasOut.value[target] = b
                }
            }
        }
        var weights = [Float](repeating: 0, count: columns * classes)
        for target in 0..<classes {
            for column in 0..<columns {
                weights[column * classes + target] = classMajor[target * columns + column]
            }
        }
        return ClassifierModel(labels: labels, labelMapping: options.labelMapping, featureOptions: featureOptions,
                               temperature: temperature, info: [:], rowBuckets: rowBuckets, idf: idf,
                               weights: weights, bias: bias)
    }

    /// Dual coordinate descent for the L2-regularized L2-loss SVM (liblinear's
    /// `solve_l2r_l1l2_svc`): minimizes ½‖w‖² + C Σ max(0, 1 − yᵢ w·xᵢ)², bias as feature 1.
    static func trainBinary(matrix: Matrix, targets: [Int32], positive: Int32, columns: Int,
                            options: TrainingOptions) -> ([Float], Float)
    {
        let count = targets.count
        let diagonal = Float(0.5 / options.regularization)
        let biasFeature: Float = 1
        var w = [Float](repeating: 0, count: columns)
        var wBias: Float = 0
        var alpha = [Float](repeating: 0, count: count)
        var order = Array(0..<count)
        var generator = SplitMix64(seed: options.seed ^ (UInt64(positive) &* 0x9e37_79b9_7f4a_7c15))
        let tolerance = Float(options.tolerance)
        matrix.rowStart.withUnsafeBufferPointer { rowStart in
            matrix.columns.withUnsafeBufferPointer { columnsOf in
                matrix.values.withUnsafeBufferPointer { values in
                    matrix.squaredNorms.withUnsafeBufferPointer { norms in
                        w.withUnsafeMutableBufferPointer { w in
                            alpha.withUnsafeMutableBufferPointer { alpha in
                                order.withUnsafeMutableBufferPointer { order in
                                    var active = count
                                    var maxOld = Float.infinity
                                    var minOld = -Float.infinity
                                    var pass = 0
                                    while pass < options.maximumPasses {
                                        pass += 1
                                        var maxNew = -Float.infinity
                                        var minNew = Float.infinity
                                        for index in 0..<active {
                                            let other = index + generator.next(below: active - index)
                                            order.swapAt(index, other)
                                        }
                                        var position = 0
                                        while position < active {
                                            let example = order[position]
                                            let y: Float = targets[example] == positive ? 1 : -1
                                            let from = rowStart[example]
                                            let to = rowStart[example + 1]
                                            var dot = wBias * biasFeature
                                            for entry in from..<to {
                                                dot += w[Int(columnsOf[entry])] * values[entry]
                                            }
                                            let gradient = y * dot - 1 + diagonal * alpha[example]
                                            var projected: Float = 0
                                            if alpha[example] == 0 {
                                                if gradient > maxOld {
                                                    active -= 1
                                                    order.swapAt(position, active)
                                                    continue
                                                } else if gradient < 0 {
                                                    projected = gradient
                                                }
                                            } else {
                                                projected = gradient
                                            }
                                            maxNew = max(maxNew, projected)
                                            minNew = min(minNew, projected)
                                            if abs(projected) > 1e-12 {
                                                let old = alpha[example]
                                                let qii = norms[example] + biasFeature * biasFeature + diagonal
                                                alpha[example] = max(old - gradient / qii, 0)
                                                let step = (alpha[example] - old) * y
                                                for entry in from..<to {
                                                    w[Int(columnsOf[entry])] += step * values[entry]
                                                }
                                                wBias += step * biasFeature
                                            }
                                            position += 1
                                        }
                                        if maxNew - minNew <= tolerance {
                                            if active == count { break }
                                            active = count
                                            maxOld = .infinity
                                            minOld = -.infinity
                                            continue
                                        }
                                        maxOld = maxNew > 0 ? maxNew : .infinity
                                        minOld = minNew < 0 ? minNew : -.infinity
                                    }
                                    _ = minOld
                                }
                            }
                        }
                    }
                }
            }
        }
        return (w, wBias * biasFeature)
    }

    // MARK: Calibration

    /// Fits the softmax temperature that minimizes the log-loss of held-out predictions
    /// (k-fold), on the output (coarse) labels the classifier reports.
    static func calibrateTemperature(features: [HashedFeatures], labels: [String], options: TrainingOptions) -> Double {
        let folds = options.calibrationFolds
        var foldOf = [Int](repeating: 0, count: features.count)
        var generator = SplitMix64(seed: options.seed &+ 7)
        var order = Array(features.indices)
        for index in order.indices.reversed() where index > 0 {
            order.swapAt(index, generator.next(below: index + 1))
        }
        for (position, example) in order.enumerated() { foldOf[example] = position % folds }
        var heldOut: [(scores: [Float], model: ClassifierModel, truth: String)] = []
        for fold in 0..<folds {
            let trainIndices = features.indices.filter { foldOf[$0] != fold }
            let model = trainOnFeatures(trainIndices.map { features[$0] }, labels: trainIndices.map { labels[$0] },
                                        options: options, temperature: 1)
            for index in features.indices where foldOf[index] == fold {
                // Re-extracting is unnecessary: buckets are the same; the fold model ignores unseen ones.
                let prediction = model.prediction(fromScores: model.scores(features: features[index]))
                heldOut.append((prediction.scores, model, options.labelMapping?.map(labels[index]) ?? labels[index]))
            }
        }
        var best = (temperature: defaultTemperature, loss: Double.infinity)
        var temperature = 0.5
        while temperature <= 40 {
            var loss = 0.0
            for entry in heldOut {
                let model = entry.model
                let maximum = Double(entry.scores.max() ?? 0)
                var total = 0.0
                var truth = 0.0
                for (index, score) in entry.scores.enumerated() {
                    let value = exp((Double(score) - maximum) * temperature)
                    total += value
                    if model.outputLabels[model.outputOfClass[index]] == entry.truth { truth += value }
                }
                loss -= log(max(truth / total, 1e-9))
            }
            if loss < best.loss { best = (temperature, loss) }
            temperature *= 1.1
        }
        return (best.temperature * 100).rounded() / 100
    }
}

// MARK: - Parallel helpers

/// A buffer shared by worker threads that each write disjoint indices.
struct UnsafeShared<Element>: @unchecked Sendable {
    let value: UnsafeMutableBufferPointer<Element>
    init(_ value: UnsafeMutableBufferPointer<Element>) { self.value = value }
}

/// Runs `body(0..<count)` on up to `threads` threads; each index runs exactly once.
func parallelFor(count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    if threads <= 1 || count < 2 {
        for index in 0..<count { body(index) }
        return
    }
    let workers = min(threads, count)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        var index = worker
        while index < count {
            body(index)
            index += workers
        }
    }
}

