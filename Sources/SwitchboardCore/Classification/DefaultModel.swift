import Foundation

extension ClassifierModel {
    /// The model shipped in the binary, trained on `data/classifier/examples.jsonl` by
    /// `scripts/classifier-build-default.sh`; decoded once, on first use.
    public static let shippedDefault: ClassifierModel? = {
        guard let data = Data(base64Encoded: DefaultModelData.base64, options: .ignoreUnknownCharacters),
              !data.isEmpty
        else { return nil }
        return try? ClassifierModel(serialized: data, place: "built-in default model")
    }()
}
