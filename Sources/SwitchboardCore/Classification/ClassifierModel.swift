import Foundation

/// A trained linear text classifier: hashed word and character n-grams, TF-IDF weighted and
/// L2-normalized per group, scored by one weight row per feature (feature-major, so scoring walks
/// the message's features and adds each one's row of class weights). Immutable and `Sendable`:
/// one instance serves every thread.
///
/// Only the buckets seen in training have a row; `rowOfBucket` finds it (`BucketRows`). Features
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
    let rowOfBucket: BucketRows
    let rowBuckets: [UInt32]
    let idf: [Float]
    /// `rowCount × classCount`, row-major.
    let weights: [Float]
    let bias: [Float]
    /// The same rows padded to a multiple of 8 classes, for SIMD scoring.
    let paddedWeights: [Float]
    let paddedStride: Int

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
        let stride = (labels.count + 7) / 8 * 8
        var padded = [Float](repeating: 0, count: rowBuckets.count * stride)
        for row in 0..<rowBuckets.count {
            for target in 0..<labels.count { padded[row * stride + target] = weights[row * labels.count + target] }
        }
        self.paddedWeights = padded
        self.paddedStride = stride
        self.rowOfBucket = BucketRows(rowBuckets)
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
        var occurrences: [ScoredOccurrence] = []
        return predict(tokens: tokens, occurrences: &occurrences)
    }

    /// Predicts, and leaves in `occurrences` what `topFeatures` needs to explain the result.
    func predict(tokens: TokenizedMessage, occurrences: inout [ScoredOccurrence]) -> ModelPrediction {
        let raw = scores(tokens: tokens, occurrences: &occurrences)
        return prediction(fromScores: raw)
    }

    /// Probabilities from raw scores: softmax over fine classes, summed per output label.
    func prediction(fromScores raw: [Float]) -> ModelPrediction {
        let classes = classCount
        var maximum = -Float.infinity
        var bestClass = 0
        for index in 0..<classes where raw[index] > maximum {
            maximum = raw[index]
            bestClass = index
        }
        var probabilities = [Double](repeating: 0, count: outputLabels.count)
        var total = 0.0
        for index in 0..<classes {
            let value = exp(Double(raw[index] - maximum) * temperature)
            probabilities[outputOfClass[index]] += value
            total += value
        }
        var best = 0
        for index in probabilities.indices {
            probabilities[index] /= total
            if probabilities[index] > probabilities[best] { best = index }
        }
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

    /// Raw linear scores (`bias + w·x`) per class, straight from the tokens: one walk over the
    /// feature occurrences that looks up each one's row and sums the squared IDF per group, then
    /// one walk over the known occurrences that adds `value × row` to the scores.
    ///
    /// Normalization: a group's vector is divided by √(Σ over occurrences of idf²), which is
    /// √(Σ tf·idf²) over distinct features. It equals the L2 norm when no feature repeats and
    /// needs no deduplication; training uses the same formula (`featureValues`), so the model
    /// sees identical vectors in training and in use.
    func scores(tokens: TokenizedMessage, occurrences: inout [ScoredOccurrence]) -> [Float] {
        let classes = classCount
        let bound = FeatureExtraction.occurrenceBound(tokens, featureOptions)
        var squares: (word: Float, char: Float) = (0, 0)
        var wordEnd = 0
        occurrences = [ScoredOccurrence](unsafeUninitializedCapacity: bound) { buffer, count in
            var known = 0
            idf.withUnsafeBufferPointer { idf in
                FeatureExtraction.forEachFeature(tokens, featureOptions) { bucket, origin in
                    let row = rowOfBucket.row(of: bucket)
                    if row < 0 { return }
                    let weight = idf[Int(row)]
                    if origin.group == .word {
                        squares.word += weight * weight
                        wordEnd = known &+ 1
                    } else {
                        squares.char += weight * weight
                    }
                    buffer[known] = ScoredOccurrence(row: row, value: weight, origin: origin.packed)
                    known &+= 1
                }
            }
            count = known
        }
        let wordScale = squares.word > 0 ? featureOptions.wordWeight / squares.word.squareRoot() : 0
        let charScale = squares.char > 0 ? featureOptions.charWeight / squares.char.squareRoot() : 0
        let lanes = paddedStride / 8
        var raw = bias
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: lanes) { sums in
            sums.initialize(repeating: .zero)
            paddedWeights.withUnsafeBytes { weights in
                occurrences.withUnsafeMutableBufferPointer { occurrences in
                    for index in 0..<occurrences.count {
                        let value = occurrences[index].value * (index < wordEnd ? wordScale : charScale)
                        occurrences[index].value = value
                        let splat = SIMD8<Float>(repeating: value)
                        let base = Int(occurrences[index].row) &* paddedStride &* 4
                        for lane in 0..<lanes {
                            sums[lane] += splat * weights.loadUnaligned(fromByteOffset: base &+ lane &* 32,
                                                                        as: SIMD8<Float>.self)
                        }
                    }
                }
            }
            for target in 0..<classes { raw[target] += sums[target / 8][target % 8] }
        }
        return raw
    }

    /// The normalized value of each distinct feature (0 for features the model does not know),
    /// in the order of `features.buckets`: what training sees as the example's vector.
    func featureValues(_ features: HashedFeatures) -> [Float] {
        var values = [Float](repeating: 0, count: features.buckets.count)
        let groups = [
            (0..<features.wordCount, featureOptions.wordWeight),
            (features.wordCount..<features.buckets.count, featureOptions.charWeight),
        ]
        for (range, groupWeight) in groups where !range.isEmpty {
            var squares: Float = 0
            for feature in range {
                let row = rowOfBucket.row(of: features.buckets[feature])
                if row < 0 { continue }
                let weight = idf[Int(row)]
                values[feature] = features.counts[feature] * weight
                squares += features.counts[feature] * weight * weight
            }
            if squares == 0 { continue }
            let scale = groupWeight / squares.squareRoot()
            for feature in range { values[feature] *= scale }
        }
        return values
    }

    /// Raw scores from deduplicated features (training and calibration).
    func scores(features: HashedFeatures) -> [Float] {
        let values = featureValues(features)
        var raw = bias
        for (index, bucket) in features.buckets.enumerated() where values[index] != 0 {
            let base = Int(rowOfBucket.row(of: bucket)) * classCount
            for target in 0..<classCount { raw[target] += values[index] * weights[base + target] }
        }
        return raw
    }

    /// The features that added most to `fineClass`'s score, named, from the occurrences the
    /// prediction left behind. A fixed-size top list; repeated features add up.
    func topFeatures(tokens: TokenizedMessage, occurrences: [ScoredOccurrence], fineClass: Int,
                     limit: Int) -> [FeatureContribution]
    {
        guard limit > 0, fineClass < classCount, !occurrences.isEmpty else { return [] }
        let limit = min(limit, 16)
        let classes = classCount
        var topIndex = [Int](repeating: -1, count: limit)
        var topWeight = [Float](repeating: 0, count: limit)
        var found = 0
        weights.withUnsafeBufferPointer { weights in
            for (index, occurrence) in occurrences.enumerated() {
                var weight = occurrence.value * weights[Int(occurrence.row) * classes + fineClass]
                guard weight > 0, found < limit || weight > topWeight[limit - 1] else { continue }
                var position = -1
                for existing in 0..<found where occurrences[topIndex[existing]].row == occurrence.row
                    && (occurrences[topIndex[existing]].origin >> 31) == (occurrence.origin >> 31)
                {
                    position = existing
                    weight += topWeight[existing]
                    break
                }
                if position < 0 {
                    guard found < limit || weight > topWeight[limit - 1] else { continue }
                    position = min(found, limit - 1)
                    if found < limit { found += 1 }
                }
                while position > 0 && topWeight[position - 1] < weight {
                    topWeight[position] = topWeight[position - 1]
                    topIndex[position] = topIndex[position - 1]
                    position -= 1
                }
                topWeight[position] = weight
                topIndex[position] = index
            }
        }
        return (0..<found).map { position in
            let origin = FeatureOrigin(packed: occurrences[topIndex[position]].origin)
            return FeatureContribution(feature: FeatureExtraction.name(of: origin, in: tokens),
                                       weight: Double(topWeight[position]))
        }
    }
}

/// One feature occurrence of a message that the model knows: its row, its normalized value
/// (after scoring) and where it came from.
struct ScoredOccurrence {
    var row: Int32
    var value: Float
    var origin: UInt32
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
