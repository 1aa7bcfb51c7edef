import Glibc

/// Content-Transfer-Encoding decoders, lenient the way mail needs: base64 skips line noise and
/// tolerates missing or misplaced padding; quoted-printable keeps a malformed `=` as it is and
/// drops the trailing white space that transports add (RFC 2045 §6.7).
enum TransferDecoding {
    private static let invalid: UInt8 = 0xFF
    private static let padding: UInt8 = 0xFE

    /// base64 alphabet → 6-bit value; `=` → `padding`; anything else → `invalid` (skipped).
    private static let base64Table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        table[Int(UInt8(ascii: "="))] = 0xFE
        // base64url, as some broken encoders emit.
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Decodes base64, skipping every byte outside the alphabet. A complete padding ends a group
    /// and decoding goes on after it (concatenated encoder output); a dangling single character is
    /// dropped.
    static func base64(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3 + 3)
        base64Run(input) { output.append($0) }
        return output
    }

    /// The number of bytes `base64(_:)` would produce, without producing them.
    static func base64Count(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        base64Run(input) { _ in count += 1 }
        return count
    }

    @inline(__always)
    private static func base64Run(_ input: UnsafeBufferPointer<UInt8>, _ emit: (UInt8) -> Void) {
        base64Table.withUnsafeBufferPointer { table in
            var quad: UInt32 = 0
            var filled = 0
            for byte in input {
                let value = table[Int(byte)]
                if value < 64 {
                    quad = quad << 6 | UInt32(value)
                    filled += 1
                    if filled == 4 {
                        emit(UInt8(truncatingIfNeeded: quad >> 16))
                        emit(UInt8(truncatingIfNeeded: quad >> 8))
                        emit(UInt8(truncatingIfNeeded: quad))
                        quad = 0
                        filled = 0
                    }
                } else if value == padding && filled >= 2 {
                    flush(quad, filled, emit)
                    quad = 0
                    filled = 0
                }
            }
            if filled >= 2 { flush(quad, filled, emit) }
        }
    }

    @inline(__always)
    private static func flush(_ quad: UInt32, _ filled: Int, _ emit: (UInt8) -> Void) {
        if filled == 2 {
            emit(UInt8(truncatingIfNeeded: quad >> 4))
        } else if filled == 3 {
            emit(UInt8(truncatingIfNeeded: quad >> 10))
            emit(UInt8(truncatingIfNeeded: quad >> 2))
        }
    }

    static func base64(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { base64($0) }
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        default: return nil
        }
    }

    /// Decodes quoted-printable. Line breaks are kept as they are (CRLF or LF); `=` at the end of
    /// a line (after optional white space) joins it to the next; `=XX` in either case is a byte;
    /// any other `=` stays literal.
    static func quotedPrintable(_ input: UnsafeBufferPointer<UInt8>, keepCR: Bool = true) -> [UInt8] {
        let count = input.count
        // The output is never longer than the input.
        return [UInt8](unsafeUninitializedCapacity: count) { output, written in
            written = 0
            var lineStart = 0
            while lineStart < count {
                var lineEnd = lineStart
                if let base = input.baseAddress, let found = memchr(base + lineStart, 0x0A, count - lineStart) {
                    lineEnd = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                } else {
                    lineEnd = count
                }
                let hasNewline = lineEnd < count
                var contentEnd = lineEnd
                let crlf = hasNewline && contentEnd > lineStart && input[contentEnd - 1] == 0x0D
                if crlf { contentEnd -= 1 }
                // Transport-added trailing white space is not content.
                while contentEnd > lineStart && (input[contentEnd - 1] == 0x20 || input[contentEnd - 1] == 0x09) {
                    contentEnd -= 1
                }
                var soft = false
                if contentEnd > lineStart && input[contentEnd - 1] == UInt8(ascii: "=") {
                    soft = true
                    contentEnd -= 1
                }
                var index = lineStart
                while index < contentEnd {
                    let byte = input[index]
                    if byte == UInt8(ascii: "="), index + 2 < contentEnd,
                       let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                        output[written] = high << 4 | low
                        index += 3
                    } else {
                        output[written] = byte
                        index += 1
                    }
                    written += 1
                }
                if hasNewline && !soft {
                    if crlf && keepCR {
                        output[written] = 0x0D
                        written += 1
                    }
                    output[written] = 0x0A
                    written += 1
                }
                lineStart = lineEnd + 1
            }
        }
    }

    static func quotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { quotedPrintable($0) }
    }

    /// Copies `input` into `output` with CRLF and lone CR turned into LF and returns how many
    /// bytes it wrote (never more than it read, so `output` may be the same memory as `input`).
    /// The one loop behind every line-break normalisation of body bytes and decoded text.
    static func normalizeLineBreaks(from input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var written = 0
        var index = 0
        let count = input.count
        while index < count {
            let byte = input[index]
            if byte == 0x0D {
                output[written] = 0x0A
                if index + 1 < count && input[index + 1] == 0x0A { index += 1 }
            } else {
                output[written] = byte
            }
            written += 1
            index += 1
        }
        return written
    }

    /// A copy with CRLF and lone CR turned into LF (text bodies in ASCII-compatible charsets).
    static func copyNormalizingLineBreaks(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: input.count) { output, written in
            written = normalizeLineBreaks(from: input, into: output)
        }
    }

    /// RFC 2047 "Q": quoted-printable where `_` is a space.
    static func qEncoding(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "_") {
                output.append(0x20)
                index += 1
            } else if byte == UInt8(ascii: "="), index + 2 < bytes.endIndex,
                      let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }
}
