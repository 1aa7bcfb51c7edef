import Foundation

/// The model file: small, versioned, fast to load.
///
/// ```
/// "SBCM"                      magic
/// u16 version (1), u8 encoding (0 float32, 1 int8), u8 reserved
/// u32 header length, header   JSON: labels, label mapping, feature options, temperature, info,
///                             row and class counts
/// f32 × classes               bias
/// per row, buckets ascending: varint bucket delta
///                             idf          f32 | f16
///                             weights      f32 × classes | f16 row scale, then (scale ≠ 0) i8 × classes
/// u64 FNV-1a of all bytes before it
/// ```
/// All numbers little-endian. The int8 encoding stores each row's weights as multiples of a
/// per-row scale (max |w| / 127): a quarter of the size at no measurable cost in accuracy.
/// `quantized()` rounds a model to exactly what that encoding stores, so writing a quantized model
/// as int8 and reading it back gives identical scores.
extension ClassifierModel {
    public static let fileMagic: [UInt8] = Array("SBCM".utf8)
    public static let fileVersion: UInt16 = 1

    public enum Encoding: UInt8, Sendable {
        case float32 = 0
        case int8 = 1
    }

    private struct Header: Codable {
        var labels: [String]
        var labelMapping: [String: String]?
        var features: FeatureOptions
        var temperature: Double
        var info: [String: String]
        var rows: Int
        var classes: Int
    }

    // MARK: Quantization

    /// The model rounded to the int8 encoding: idf to half precision, each row to 8-bit
    /// multiples of its own half-precision scale.
    public func quantized() -> ClassifierModel {
        let classes = classCount
        var newIDF = idf
        var newWeights = weights
        for row in 0..<rowCount {
            newIDF[row] = Float(Float16(idf[row]))
            let (scale, levels) = Self.quantize(row: row, weights: weights, classes: classes)
            for index in 0..<classes { newWeights[row * classes + index] = Float(levels[index]) * scale }
        }
        return ClassifierModel(labels: labels, labelMapping: labelMapping, featureOptions: featureOptions,
                               temperature: temperature, info: info, rowBuckets: rowBuckets, idf: newIDF,
                               weights: newWeights, bias: bias)
    }

    private static func quantize(row: Int, weights: [Float], classes: Int) -> (Float, [Int8]) {
        var largest: Float = 0
        for index in 0..<classes { largest = max(largest, abs(weights[row * classes + index])) }
        let scale = Float(Float16(largest / 127))
        guard scale > 0 else { return (0, [Int8](repeating: 0, count: classes)) }
        let levels = (0..<classes).map { index -> Int8 in
            let level = (weights[row * classes + index] / scale).rounded()
            return Int8(max(-127, min(127, level)))
        }
        return (scale, levels)
    }

    // MARK: Writing

    public func serialized(encoding: Encoding = .int8) -> Data {
        var out = ByteWriter()
        out.bytes.append(contentsOf: Self.fileMagic)
        out.u16(Self.fileVersion)
        out.bytes.append(encoding.rawValue)
        out.bytes.append(0)
        let header = Header(labels: labels, labelMapping: labelMapping?.fineToCoarse, features: featureOptions,
                            temperature: temperature, info: info, rows: rowCount, classes: classCount)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let headerBytes = Array((try? encoder.encode(header)) ?? Data())
        out.u32(UInt32(headerBytes.count))
        out.bytes.append(contentsOf: headerBytes)
        for value in bias { out.f32(value) }
        let classes = classCount
        var previous: UInt32 = 0
        for row in 0..<rowCount {
            out.varint(UInt64(rowBuckets[row] - previous))
            previous = rowBuckets[row]
            switch encoding {
            case .float32:
                out.f32(idf[row])
                for index in 0..<classes { out.f32(weights[row * classes + index]) }
            case .int8:
                out.u16(Float16(idf[row]).bitPattern)
                let (scale, levels) = Self.quantize(row: row, weights: weights, classes: classes)
                out.u16(Float16(scale).bitPattern)
                if scale > 0 {
                    for level in levels { out.bytes.append(UInt8(bitPattern: level)) }
                }
            }
        }
        let checksum = Hashing.fnv1a(out.bytes)
        out.u64(checksum)
        return Data(out.bytes)
    }

    public func write(path: String, encoding: Encoding = .int8) throws {
        do {
            try serialized(encoding: encoding).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ClassifierError(code: "model.unwritable", place: path, hint: "\(error)")
        }
    }

    // MARK: Reading

    public static func load(path: String) throws -> ClassifierModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClassifierError(code: "model.unreadable", place: path, hint: "the model file does not exist or cannot be read")
        }
        return try ClassifierModel(serialized: data, place: path)
    }

    public init(serialized data: Data, place: String = "model") throws {
        let bytes = [UInt8](data)
        func fail(_ code: String, _ hint: String) -> ClassifierError {
            ClassifierError(code: code, place: place, hint: hint)
        }
        guard bytes.count >= 24, Array(bytes[0..<4]) == Self.fileMagic else {
            throw fail("model.not-a-model", "not a Switchboard classifier model (no SBCM header)")
        }
        let body = bytes[0..<(bytes.count - 8)]
        var reader = ByteReader(bytes: bytes, position: bytes.count - 8)
        guard reader.u64() == Hashing.fnv1a(body) else {
            throw fail("model.corrupt", "checksum mismatch: the file is truncated or damaged")
        }
        reader = ByteReader(bytes: bytes, position: 4)
        let version = reader.u16()
        guard version == Self.fileVersion else {
            throw fail("model.version", "model format version \(version); this build reads version \(Self.fileVersion)")
        }
        guard let encoding = Encoding(rawValue: reader.u8()) else {
            throw fail("model.encoding", "unknown weight encoding")
        }
        _ = reader.u8()
        let headerLength = Int(reader.u32())
        guard reader.position + headerLength <= body.count,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[reader.position..<(reader.position + headerLength)]))
        else {
            throw fail("model.header", "the model header is not valid JSON")
        }
        reader.position += headerLength
        let classes = header.classes
        guard classes == header.labels.count, classes > 0, header.rows >= 0 else {
            throw fail("model.header", "class count and labels disagree")
        }
        let bucketLimit = UInt64(1) << UInt64(header.features.hashBits)
        var bias = [Float](repeating: 0, count: classes)
        var rowBuckets = [UInt32](repeating: 0, count: header.rows)
        var idf = [Float](repeating: 0, count: header.rows)
        var weights = [Float](repeating: 0, count: header.rows * classes)
        let ok: Bool = reader.reading(upTo: body.count) { reader in
            for index in 0..<classes { bias[index] = reader.f32() }
            var bucket: UInt64 = 0
            for row in 0..<header.rows {
                bucket += reader.varint()
                guard bucket < bucketLimit else { return false }
                rowBuckets[row] = UInt32(bucket)
                switch encoding {
                case .float32:
                    idf[row] = reader.f32()
                    for index in 0..<classes { weights[row * classes + index] = reader.f32() }
                case .int8:
                    idf[row] = Float(Float16(bitPattern: reader.u16()))
                    let scale = Float(Float16(bitPattern: reader.u16()))
                    if scale > 0 {
                        for index in 0..<classes {
                            weights[row * classes + index] = Float(Int8(bitPattern: reader.u8())) * scale
                        }
                    }
                }
            }
            return reader.position == body.count
        }
        guard ok else { throw fail("model.corrupt", "the weight table does not match the header") }
        self.init(labels: header.labels, labelMapping: header.labelMapping.map(LabelMapping.init),
                  featureOptions: header.features, temperature: header.temperature, info: header.info,
                  rowBuckets: rowBuckets, idf: idf, weights: weights, bias: bias)
    }
}

// MARK: - Little-endian bytes

private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16) { for shift in stride(from: 0, to: 16, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt16(shift))) } }
    mutating func u32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
    mutating func u64(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
    mutating func f32(_ value: Float) { u32(value.bitPattern) }

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}

/// Reads past the end return zeros and set `overrun`, checked once by `reading(upTo:)`.
private struct ByteReader {
    let bytes: [UInt8]
    var position: Int
    var limit: Int
    var overrun = false

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
        self.limit = bytes.count
    }

    mutating func reading(upTo end: Int, _ body: (inout ByteReader) -> Bool) -> Bool {
        limit = end
        let result = body(&self)
        return result && !overrun
    }

    mutating func u8() -> UInt8 {
        guard position < limit else {
            overrun = true
            return 0
        }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
    mutating func u64() -> UInt64 { UInt64(u32()) | UInt64(u32()) << 32 }
    mutating func f32() -> Float { Float(bitPattern: u32()) }

    mutating func varint() -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            let byte = u8()
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 || overrun { break }
            shift += 7
        }
        return value
    }
}
