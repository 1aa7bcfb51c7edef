import Foundation

/// Maps fine labels (intents such as `get_refund`, `track_order`) to coarse inquiry types
/// (`billing`, `order_status`). A model trained on fine intents and carrying a mapping predicts
/// coarse types by summing the probabilities of the intents of each type; on the public
/// benchmarks that beat training on the coarse labels directly. Labels the mapping does not
/// mention map to themselves.
public struct LabelMapping: Sendable, Hashable, Codable {
    public var fineToCoarse: [String: String]

    public init(_ fineToCoarse: [String: String]) {
        self.fineToCoarse = fineToCoarse
    }

    /// The coarse label of a fine one, or nil when the mapping does not mention it.
    public func coarse(for fine: String) -> String? { fineToCoarse[fine] }

    /// The coarse label, or the label itself when unmapped.
    public func map(_ label: String) -> String { fineToCoarse[label] ?? label }

    /// Every coarse label the mapping produces.
    public var coarseLabels: Set<String> { Set(fineToCoarse.values) }

    /// Reads a JSON object `{"fine": "coarse", …}`, or an object whose `fine_to_coarse` (or
    /// `mapping`) member is such an object, as in `../shared/eval/*/coarse_mapping.json`.
    public static func load(path: String) throws -> LabelMapping {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClassifierError(code: "mapping.unreadable", place: path,
                                  hint: "the label mapping file does not exist or cannot be read")
        }
        return try parse(data, place: path)
    }

    public static func parse(_ data: Data, place: String = "label mapping") throws -> LabelMapping {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ClassifierError(code: "mapping.invalid", place: place,
                                  hint: "expected a JSON object mapping fine labels to coarse labels")
        }
        let table = (object["fine_to_coarse"] as? [String: Any]) ?? (object["mapping"] as? [String: Any]) ?? object
        var result: [String: String] = [:]
        for (fine, coarse) in table {
            guard let coarse = coarse as? String else {
                if table is [String: String] || object["fine_to_coarse"] != nil {
                    throw ClassifierError(code: "mapping.invalid", place: "\(place): \(fine)",
                                          hint: "each fine label must map to a string")
                }
                continue  // a top-level object with other members (notes, taxonomy descriptions)
            }
            result[fine] = coarse
        }
        guard !result.isEmpty else {
            throw ClassifierError(code: "mapping.empty", place: place, hint: "the mapping has no fine → coarse entries")
        }
        return LabelMapping(result)
    }
}
