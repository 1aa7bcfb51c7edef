import Foundation

/// A trained linear text classifier: hashed word and character n-grams, TF-IDF weighted and
/// L2-normalized per group, scored by one weight row per feature (feature-major, so scoring walks
/// the message's features and adds each one's row of class weights). Immutable and `Sendable`:
/// one instance serves every thread.
///
/// Only the buckets seen in training have a row; `rowOfBucket` finds it in one load. Features
/// the model never saw are ignored, in the score and in the normalization alike (as a fitted
/// TF-IDF vectorizer ignores words outside its vocabulary).
public struct ClassifierModel: Sendable {
    /// The classes the weights score (fine intents when the model carries a label mapping).
    public let labels: [String]
    /// When present, predictions are reported per coarse label: probabilities summed over the
    /// fine labels of each.
    public let labelMapping: LabelMapping?
    /// The labels predictions are reported in: `labels` mapped through `labelMapping`, unique,
    /// in order of first appearance.
    public let outputLabels: [String]
    public let featureOptions: FeatureOptions
    /// Probabilities are `softmax(temperature × score)`.
    public let temperature: Double
    /// Facts about how the model was made (examples, options, training time), for `eval` and docs.
    public let info: [String: String]

    let outputOfClass: [Int]
    let rowOfBucket: [Int32]
    let rowBuckets: [UInt32]
    let idf: [Float]
    /// `rowCount × classCount`, row-major.
    let weights: [Float]
    let bias: [Float]

    public var classCount: Int { labels.count }
    public var rowCount: Int { rowBuckets.count }

    init(labels: [String], labelMapping: LabelMapping?, featureOptions: FeatureOptions, temperature: Double,
         info: [String: String], rowBuckets: [UInt32], idf: [Float], weights: [Float], bias: [Float])
    {
        precondition(idf.count == rowBuckets.count && weights.count == rowBuckets.count * labels.count)
        self.labels = labels
        self.labelMapping = labelMapping
        self.featureOptions = featureOptions
        self.temperature = temperature
        self.info = info
        self.rowBuckets = rowBuckets
        self.idf = idf
        self.weights = weights
        self.bias = bias
        var outputs: [String] = []
        var indexOfOutput: [String: Int] = [:]
        var outputOfClass: [Int] = []
        for label in labels {
            let output = labelMapping?.map(label) ?? label
            if let index = indexOfOutput[output] {
                outputOfClass.append(index)
            } else {
                indexOfOutput[output] = outputs.count
                outputOfClass.append(outputs.count)
                outputs.append(output)
            }
        }
        self.outputLabels = outputs
        self.outputOfClass = outputOfClass
        var rowOfBucket = [Int32](repeating: -1, count: 1 << featureOptions.hashBits)
        for (row, bucket) in rowBuckets.enumerated() { rowOfBucket[Int(bucket)] = Int32(row) }
        self.rowOfBucket = rowOfBucket
    }

    /// The same model with another softmax temperature.
    public func withTemperature(_ temperature: Double) -> ClassifierModel {
        ClassifierModel(labels: labels, labelMapping: labelMapping, featureOptions: featureOptions,
                        temperature: temperature, info: info, rowBuckets: rowBuckets, idf: idf,
                        weights: weights, bias: bias)
    }

    func withInfo(_ extra: [String: String]) -> ClassifierModel {
        ClassifierModel(labels: labels, labelMapping: labelMapping, featureOptions: featureOptions,
                        temperature: temperature, info: info.merging(extra) { $1 }, rowBuckets: rowBuckets,
                        idf: idf, weights: weights, bias: bias)
    }

    // MARK: Prediction

    /// Tokenizes `text` (no e-mail preparation: see `TextPreparation`) and predicts.
    public func predict(_ text: String) -> ModelPrediction {
        predict(tokens: MessageTokenizer.tokenize(text))
    }

    public func predict(tokens: TokenizedMessage) -> ModelPrediction {
        predict(features: FeatureExtraction.extract(tokens, featureOptions))
    }

    func predict(features: HashedFeatures) -> ModelPrediction {
        let classes = classCount
        var raw = [Float](repeating: 0, count: classes)
        raw.withUnsafeMutableBufferPointer { scores(features, into: $0) }
        var fineProbabilities = [Double](repeating: 0, count: classes)
        var maximum = -Double.infinity
        var bestClass = 0
        for index in 0..<classes where Double(raw[index]) > maximum {
            maximum = Double(raw[index])
            bestClass = index
        }
        var total = 0.0
        for index in 0..<classes {
            let value = exp((Double(raw[index]) - maximum) * temperature)
            fineProbabilities[index] = value
            total += value
        }
        var probabilities = [Double](repeating: 0, count: outputLabels.count)
        for index in 0..<classes {
            fineProbabilities[index] /= total
            probabilities[outputOfClass[index]] += fineProbabilities[index]
        }
        var best = 0
        for index in probabilities.indices where probabilities[index] > probabilities[best] { best = index }
        // The fine class that explains the chosen output: the best-scoring one mapped to it.
        var explainingClass = bestClass
        if outputOfClass[bestClass] != best {
            var bestScore = -Float.infinity
            for index in 0..<classes where outputOfClass[index] == best && raw[index] > bestScore {
                bestScore = raw[index]
                explainingClass = index
            }
        }
        return ModelPrediction(labels: outputLabels, probabilities: probabilities, bestIndex: best,
                               fineLabel: labels[explainingClass], fineClass: explainingClass, scores: raw)
    }

    /// Raw linear scores (`bias + w·x`) per class into `scores`.
    func scores(_ features: HashedFeatures, into scores: UnsafeMutableBufferPointer<Float>) {
        let classes = classCount
        let sublinear = featureOptions.sublinearTF
        bias.withUnsafeBufferPointer { bias in
            for index in 0..<classes { scores[index] = bias[index] }
        }
        rowOfBucket.withUnsafeBufferPointer { rowOfBucket in
            idf.withUnsafeBufferPointer { idf in
                weights.withUnsafeBufferPointer { weights in
                    features.buckets.withUnsafeBufferPointer { buckets in
                        features.counts.withUnsafeBufferPointer { counts in
                            @inline(__always)
                            func accumulate(_ range: Range<Int>, _ groupWeight: Float) {
                                if range.isEmpty || groupWeight == 0 { return }
                                var squares: Float = 0
                                for feature in range {
                                    let row = rowOfBucket[Int(buckets[feature])]
                                    if row < 0 { continue }
                                    let value = termFrequency(counts[feature], sublinear) * idf[Int(row)]
                                    squares += value * value
                                }
                                if squares == 0 { return }
                                let scale = groupWeight / squares.squareRoot()
                                for feature in range {
                                    let row = Int(rowOfBucket[Int(buckets[feature])])
                                    if row < 0 { continue }
                                    let value = termFrequency(counts[feature], sublinear) * idf[row] * scale
                                    let base = row &* classes
                                    for index in 0..<classes {
                                        scores[index] += value * weights[base &+ index]
                                    }
                                }
                            }
                            accumulate(0..<features.wordCount, featureOptions.wordWeight)
                            accumulate(features.wordCount..<buckets.count, featureOptions.charWeight)
                        }
                    }
                }
            }
        }
    }

    /// The normalized value of each feature (0 for features the model does not know), in the
    /// order of `features.buckets`: what training sees as the example's vector.
    func featureValues(_ features: HashedFeatures) -> [Float] {
        var values = [Float](repeating: 0, count: features.buckets.count)
        let groups = [
            (0..<features.wordCount, featureOptions.wordWeight),
            (features.wordCount..<features.buckets.count, featureOptions.charWeight),
        ]
        for (range, groupWeight) in groups where !range.isEmpty {
            var squares: Float = 0
            for feature in range {
                let row = rowOfBucket[Int(features.buckets[feature])]
                if row < 0 { continue }
                let value = termFrequency(features.counts[feature], featureOptions.sublinearTF) * idf[Int(row)]
                values[feature] = value
                squares += value * value
            }
            if squares == 0 { continue }
            let scale = groupWeight / squares.squareRoot()
            for feature in range { values[feature] *= scale }
        }
        return values
    }

    /// The features that added most to `fineClass`'s score, named. A fixed-size top list and a
    /// second walk over the features to name the winners: no sorting, no dictionaries.
    func topFeatures(tokens: TokenizedMessage, features: HashedFeatures, fineClass: Int,
                     limit: Int) -> [FeatureContribution]
    {
        guard limit > 0, fineClass < classCount else { return [] }
        let limit = min(limit, 16)
        let classes = classCount
        let sublinear = featureOptions.sublinearTF
        var topIndex = [Int](repeating: -1, count: limit)
        var topWeight = [Float](repeating: 0, count: limit)
        var found = 0
        for (range, groupWeight) in [(0..<features.wordCount, featureOptions.wordWeight),
                                     (features.wordCount..<features.buckets.count, featureOptions.charWeight)]
        where !range.isEmpty {
            var squares: Float = 0
            for feature in range {
                let row = rowOfBucket[Int(features.buckets[feature])]
                if row < 0 { continue }
                let value = termFrequency(features.counts[feature], sublinear) * idf[Int(row)]
                squares += value * value
            }
            if squares == 0 { continue }
            let scale = groupWeight / squares.squareRoot()
            for feature in range {
                let row = Int(rowOfBucket[Int(features.buckets[feature])])
                if row < 0 { continue }
                let weight = termFrequency(features.counts[feature], sublinear) * idf[row] * scale
                    * weights[row * classes + fineClass]
                guard weight > 0, found < limit || weight > topWeight[limit - 1] else { continue }
                var position = min(found, limit - 1)
                while position > 0 && topWeight[position - 1] < weight {
                    topWeight[position] = topWeight[position - 1]
                    topIndex[position] = topIndex[position - 1]
                    position -= 1
                }
                topWeight[position] = weight
                topIndex[position] = feature
                if found < limit { found += 1 }
            }
        }
        guard found > 0 else { return [] }
        var names = [String?](repeating: nil, count: found)
        var keys = [UInt64](repeating: 0, count: found)
        for position in 0..<found {
            let group: UInt64 = topIndex[position] < features.wordCount ? 0 : 1
            keys[position] = (group << 32) | UInt64(features.buckets[topIndex[position]])
        }
        var unnamed = found
        FeatureExtraction.forEachFeature(tokens, featureOptions) { bucket, origin in
            guard unnamed > 0 else { return }
            let key = (UInt64(origin.group.rawValue) << 32) | UInt64(bucket)
            for position in 0..<found where keys[position] == key && names[position] == nil {
                names[position] = FeatureExtraction.name(of: origin, in: tokens)
                unnamed -= 1
            }
        }
        return (0..<found).map { position in
            FeatureContribution(feature: names[position] ?? "bucket:\(features.buckets[topIndex[position]])",
                                weight: Double(topWeight[position]))
        }
    }
}

@inline(__always)
func termFrequency(_ count: Float, _ sublinear: Bool) -> Float {
    sublinear ? 1 + log(count) : count
}

/// What the model alone says about a message: probabilities per output label.
public struct ModelPrediction: Sendable {
    /// The model's output labels (coarse when it carries a label mapping).
    public let labels: [String]
    public let probabilities: [Double]
    public let bestIndex: Int
    /// The fine label that scored best among those mapped to the chosen output label.
    public let fineLabel: String
    let fineClass: Int
    /// Raw linear scores per fine class.
    public let scores: [Float]

    public var label: String { labels[bestIndex] }
    public var confidence: Double { probabilities[bestIndex] }

    /// Every output label with its probability, best first (ties by label).
    public var ranked: [(label: String, probability: Double)] {
        zip(labels, probabilities).sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            .map { (label: $0.0, probability: $0.1) }
    }
}
