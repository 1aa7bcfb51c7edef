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
        return encode(prefix, millis: ms, high: high, low: low)
    }

    /// `prefix`, `_`, then the 128 bits `millis` (48) | `high` (16) | `low` (64) as 26 base-32
    /// characters, most significant first (the first character holds the top 3 bits).
    static func encode(_ prefix: String, millis: UInt64, high: UInt16, low: UInt64) -> String {
        let top = (millis & 0xFFFF_FFFF_FFFF) << 16 | UInt64(high)
        var prefix = prefix
        return prefix.withUTF8 { head in
            String(unsafeUninitializedCapacity: head.count + 27) { out in
                _ = out.initialize(from: head)
                var at = head.count
                out[at] = UInt8(ascii: "_")
                at += 1
                // Character i holds bits [125 - 5i, 130 - 5i) of the 128, counted from the least
                // significant; `top` is bits 64..<128, `low` bits 0..<64.
                for index in 0..<26 {
                    let shift = 125 - 5 * index
                    let value: UInt64
                    if shift >= 64 {
                        value = top &>> UInt64(shift - 64)
                    } else if shift + 5 <= 64 {
                        value = low &>> UInt64(shift)
                    } else {
                        value = top &<< UInt64(64 - shift) | low &>> UInt64(shift)
                    }
                    out[at] = alphabet[Int(value & 31)]
                    at += 1
                }
                return at
            }
        }
    }

    /// Whether `text` has the shape of an id with this prefix (used to reject bad path parameters early).
    public static func isWellFormed(_ text: String, prefix: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == prefix.utf8.count + 27, text.hasPrefix(prefix + "_") else { return false }
        return utf8.suffix(26).allSatisfy { alphabet.contains($0) }
    }
}
