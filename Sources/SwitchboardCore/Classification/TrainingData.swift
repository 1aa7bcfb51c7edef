import Foundation

/// Reads labelled examples for `switchboard train` and `switchboard eval`: CSV (RFC 4180:
/// quoted fields, doubled quotes, line breaks inside quotes, a header row) or JSON Lines (one
/// object per line). The format follows the file extension (`.csv`, `.tsv`; anything else is
/// JSON Lines); the text and label columns are configurable.
public enum TrainingData {
    public struct Columns: Sendable, Hashable {
        public var text: String
        public var label: String
        /// Optional: the channel a row came from (`email`, `sms`, `chat`, `social`), which decides
        /// how the text is prepared.
        public var channel: String

        public init(text: String = "text", label: String = "label", channel: String = "channel") {
            self.text = text
            self.label = label
            self.channel = channel
        }
    }

    /// What to do with rows whose label the mapping does not mention.
    public enum UnmappedLabels: Sendable {
        /// Keep them with their own label.
        case keep
        /// Leave them out (e.g. CLINC150's intents outside the banking domains).
        case drop
    }

    /// Loads examples; with a mapping, labels are mapped at load time (train or evaluate on
    /// coarse labels directly). To train on fine labels and predict coarse ones, load without a
    /// mapping and pass it in `TrainingOptions.labelMapping` instead.
    public static func load(path: String, labelMapping: LabelMapping? = nil, columns: Columns = Columns(),
                            unmapped: UnmappedLabels = .keep) throws -> [LabeledExample]
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClassifierError(code: "data.unreadable", place: path, hint: "the file does not exist or cannot be read")
        }
        let lower = path.lowercased()
        let examples: [LabeledExample]
        if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") {
            examples = try parseCSV(data, columns: columns, separator: lower.hasSuffix(".tsv") ? 0x09 : 0x2C, place: path)
        } else {
            examples = try parseJSONLines(data, columns: columns, place: path)
        }
        guard let labelMapping else { return examples }
        return examples.compactMap { example in
            if let coarse = labelMapping.coarse(for: example.label) {
                return LabeledExample(text: example.text, label: coarse, channel: example.channel)
            }
            return unmapped == .keep ? example : nil
        }
    }

    // MARK: JSON Lines

    public static func parseJSONLines(_ data: Data, columns: Columns = Columns(), place: String = "data")
        throws -> [LabeledExample]
    {
        var examples: [LabeledExample] = []
        var lineNumber = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw ClassifierError(code: "data.invalid-json", place: "\(place):\(lineNumber)",
                                      hint: "each line must be a JSON object with \"\(columns.text)\" and \"\(columns.label)\"")
            }
            guard let text = object[columns.text] as? String else {
                throw ClassifierError(code: "data.missing-text", place: "\(place):\(lineNumber)",
                                      hint: "no string member \"\(columns.text)\"")
            }
            guard let label = stringValue(object[columns.label]) else {
                throw ClassifierError(code: "data.missing-label", place: "\(place):\(lineNumber)",
                                      hint: "no string member \"\(columns.label)\"")
            }
            let channel = (object[columns.channel] as? String).flatMap(Channel.init(rawValue:))
            examples.append(LabeledExample(text: text, label: label, channel: channel))
        }
        return examples
    }

    private static func stringValue(_ value: Any?) -> String? {
        if let string = value as? String { return string }
        if let number = value as? NSNumber { return number.stringValue }
        return nil
    }

    // MARK: CSV

    public static func parseCSV(_ data: Data, columns: Columns = Columns(), separator: UInt8 = 0x2C,
                                place: String = "data") throws -> [LabeledExample]
    {
        let records = csvRecords(Array(data), separator: separator)
        guard let header = records.first else { return [] }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{FEFF}", with: "") }
        guard let textColumn = names.firstIndex(of: columns.text) else {
            throw ClassifierError(code: "data.missing-column", place: "\(place): header",
                                  hint: "no column \"\(columns.text)\" (columns: \(names.joined(separator: ", ")))")
        }
        guard let labelColumn = names.firstIndex(of: columns.label) else {
            throw ClassifierError(code: "data.missing-column", place: "\(place): header",
                                  hint: "no column \"\(columns.label)\" (columns: \(names.joined(separator: ", ")))")
        }
        let channelColumn = names.firstIndex(of: columns.channel)
        var examples: [LabeledExample] = []
        for (number, record) in records.enumerated().dropFirst() {
            if record.count == 1 && record[0].isEmpty { continue }  // blank line
            guard record.count > max(textColumn, labelColumn) else {
                throw ClassifierError(code: "data.short-row", place: "\(place): record \(number + 1)",
                                      hint: "the row has \(record.count) fields, fewer than the header")
            }
            let channel = channelColumn.flatMap { $0 < record.count ? Channel(rawValue: record[$0]) : nil }
            examples.append(LabeledExample(text: record[textColumn], label: record[labelColumn], channel: channel))
        }
        return examples
    }

    /// RFC 4180 records: fields separated by `separator`, records by CRLF or LF, fields in double
    /// quotes may contain separators, line breaks and doubled quotes.
    static func csvRecords(_ bytes: [UInt8], separator: UInt8) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var index = 0
        let count = bytes.count
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < count {
            let byte = bytes[index]
            if inQuotes {
                if byte == 0x22 {
                    if index + 1 < count && bytes[index + 1] == 0x22 {
                        field.append(0x22)
                        index += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    field.append(byte)
                }
                index += 1
                continue
            }
            switch byte {
            case 0x22 where field.isEmpty:
                inQuotes = true
            case separator:
                endField()
            case 0x0D where index + 1 < count && bytes[index + 1] == 0x0A:
                break  // the LF ends the record
            case 0x0A:
                endField()
                records.append(record)
                record.removeAll()
            default:
                field.append(byte)
            }
            index += 1
        }
        if !field.isEmpty || !record.isEmpty {
            endField()
            records.append(record)
        }
        return records
    }
}
