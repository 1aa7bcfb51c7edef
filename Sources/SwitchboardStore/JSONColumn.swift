import Foundation
import SwitchboardCore

/// The JSON text kept in the store's JSON columns. Writing is hand-rolled because it runs for
/// every message on the writer thread (Foundation's encoders cost several microseconds each);
/// reading uses Foundation, since reads are rare and not on the hot path. Attachments are written
/// in `Attachment`'s Codable shape so `JSONDecoder` reads them back.
enum JSONColumn {
    /// Keys in `String` order (the order the store has always written them in).
    static func encode(_ object: [String: String]) -> String {
        if object.isEmpty { return "{}" }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(64)
        // The entries sorted once, rather than the keys sorted and each looked up again.
        for (index, entry) in object.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(entry.key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(entry.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(_ array: [String]) -> String {
        if array.isEmpty { return "[]" }
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, element) in array.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(element, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(_ attachments: [Attachment]) -> String {
        if attachments.isEmpty { return "[]" }
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, attachment) in attachments.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"contentType":"#.utf8)
            appendString(attachment.contentType, to: &out)
            out.append(contentsOf: #","size":"#.utf8)
            out.append(contentsOf: String(attachment.size).utf8)
            if let name = attachment.name {
                out.append(contentsOf: #","name":"#.utf8)
                appendString(name, to: &out)
            }
            if let sha256 = attachment.sha256 {
                out.append(contentsOf: #","sha256":"#.utf8)
                appendString(sha256, to: &out)
            }
            if let url = attachment.url {
                out.append(contentsOf: #","url":"#.utf8)
                appendString(url, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal (RFC 8259: quote, backslash and control characters escaped).
    /// Text with nothing to escape (nearly all of it) is appended whole.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if !text.utf8.contains(where: needsEscape) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The bytes `appendString` writes as an escape: quote, backslash, and control characters.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
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
