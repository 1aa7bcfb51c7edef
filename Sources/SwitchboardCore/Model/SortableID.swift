import Foundation
import Synchronization

/// Time-sortable identifiers: a type prefix, then 26 Crockford base-32 characters holding 48 bits
/// of milliseconds since 1970 and 80 bits of randomness (the ULID layout). Ids made in the same
/// millisecond by one process are strictly increasing, so sorting by id sorts by arrival.
public enum SortableID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private struct State { var lastMillis: UInt64 = 0; var high: UInt16 = 0; var low: UInt64 = 0 }
    private static let state = Mutex(State())

    /// A new id such as `msg_01JD3Z8Q4X...`. `prefix` names the kind of thing: msg, ct, cv, ob.
    public static func make(_ prefix: String, now: Date = Date()) -> String {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let (ms, high, low) = state.withLock { s -> (UInt64, UInt16, UInt64) in
            if millis > s.lastMillis {
                s.lastMillis = millis
                s.high = UInt16.random(in: 0...UInt16.max) & 0x7FFF
                s.low = UInt64.random(in: 0...UInt64.max)
            } else {
                // Same (or earlier) millisecond: increment the random part to stay monotonic.
                let (sum, overflow) = s.low.addingReportingOverflow(1)
                s.low = sum
                if overflow { s.high &+= 1 }
            }
            return (s.lastMillis, s.high, s.low)
        }
        var out = [UInt8](prefix.utf8)
        out.append(UInt8(ascii: "_"))
        // 128 bits: 48 time | 16 high | 64 low, written as 26 chars of 5 bits (first char holds 3 bits).
        var bits = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bits[i] = UInt8(truncatingIfNeeded: ms >> UInt64(40 - 8 * i)) }
        bits[6] = UInt8(truncatingIfNeeded: high >> 8); bits[7] = UInt8(truncatingIfNeeded: high)
        for i in 0..<8 { bits[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i)) }
        for index in 0..<26 {
            let bitOffset = index == 0 ? 0 : 3 + (index - 1) * 5
            let width = index == 0 ? 3 : 5
            var value = 0
            for b in 0..<width {
                let bit = bitOffset + b
                let byte = bits[bit / 8]
                value = (value << 1) | Int((byte >> UInt8(7 - bit % 8)) & 1)
            }
            out.append(alphabet[value])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` has the shape of an id with this prefix (used to reject bad path parameters early).
    public static func isWellFormed(_ text: String, prefix: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == prefix.utf8.count + 27, text.hasPrefix(prefix + "_") else { return false }
        return utf8.suffix(26).allSatisfy { alphabet.contains($0) }
    }
}
