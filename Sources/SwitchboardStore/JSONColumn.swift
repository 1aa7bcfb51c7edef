import Foundation
import SwitchboardCore

/// The JSON text kept in the store's JSON columns. Written with `JSONWriter`, the hand-rolled
/// writer the API's responses use, because it runs for every message on the writer thread
/// (Foundation's encoders cost several microseconds each); reading uses Foundation, since reads
/// are rare and not on the hot path. Attachments are written in `Attachment`'s Codable shape so
/// `JSONDecoder` reads them back.
enum JSONColumn {
    /// Keys in `String` order (the order the store has always written them in).
    static func encode(_ object: [String: String]) -> String {
        if object.isEmpty { return "{}" }
        var writer = JSONWriter(capacity: 64)
        writer.object { w in
            for entry in object.sorted(by: { $0.key < $1.key }) { w.field(entry.key, entry.value) }
        }
        return writer.string
    }

    static func encode(_ array: [String]) -> String {
        if array.isEmpty { return "[]" }
        var writer = JSONWriter(capacity: 64)
        writer.array { w in for element in array { w.value(element) } }
        return writer.string
    }

    static func encode(_ attachments: [Attachment]) -> String {
        if attachments.isEmpty { return "[]" }
        var writer = JSONWriter()
        writer.array { w in
            for attachment in attachments {
                w.object { w in
                    w.field(static: "contentType", attachment.contentType)
                    w.field(static: "size", attachment.size)
                    if let name = attachment.name { w.field(static: "name", name) }
                    if let sha256 = attachment.sha256 { w.field(static: "sha256", sha256) }
                    if let url = attachment.url { w.field(static: "url", url) }
                }
            }
        }
        return writer.string
    }

    // MARK: Reading

    static func decodeObject(_ text: String, column: String) throws(StoreError) -> [String: String] {
        if text == "{}" { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else {
            throw corrupt(column)
        }
        return object
    }

    static func decodeArray(_ text: String, column: String) throws(StoreError) -> [String] {
        if text == "[]" { return [] }
        guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] else {
            throw corrupt(column)
        }
        return array
    }

    static func decodeAttachments(_ text: String, column: String) throws(StoreError) -> [Attachment] {
        if text == "[]" { return [] }
        guard let attachments = try? JSONDecoder().decode([Attachment].self, from: Data(text.utf8)) else {
            throw corrupt(column)
        }
        return attachments
    }

    private static func corrupt(_ column: String) -> StoreError {
        StoreError(code: .corruptRow, purpose: "read \(column)", message: "the column does not hold the JSON the store writes",
                   hint: "the row was changed outside Switchboard")
    }
}

extension Date {
    /// The store's time unit: whole milliseconds since 1970, as an INTEGER column.
    var storeMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(storeMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(storeMilliseconds) / 1000)
    }
}
