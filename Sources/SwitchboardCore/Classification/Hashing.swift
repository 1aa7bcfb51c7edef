/// The hash functions behind feature hashing. FNV-1a for byte strings (simple, no tables, good
/// enough spread for short strings) and a 64-bit finalizer so that related inputs (a word and
/// the same word as a bigram part) land in unrelated buckets.
enum Hashing {
    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    @inline(__always)
    static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash = fnvOffset
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* fnvPrime
        }
        return hash
    }

    static func fnv1a<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var hash = fnvOffset
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* fnvPrime
        }
        return hash
    }

    /// One multiply: enough to spread an FNV-1a value's low-byte differences into the top bits
    /// that pick a bucket (character n-grams, the hottest loop).
    @inline(__always)
    static func quickMix(_ value: UInt64) -> UInt64 {
        (value ^ (value >> 32)) &* 0x9e37_79b9_7f4a_7c15
    }

    /// The murmur3 / splitmix finalizer: every input bit affects every output bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 33)) &* 0xff51_afd7_ed55_8ccd
        z = (z ^ (z >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return z ^ (z >> 33)
    }
}

/// A small deterministic generator (splitmix64) for shuffling during training: the same seed
/// gives the same model on every machine.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state = state &+ 0x9e37_79b9_7f4a_7c15
        return Hashing.mix(state)
    }

    /// Uniform in 0..<bound.
    mutating func next(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next() % UInt64(bound))
    }
}

/// A read-only open-addressing table keyed by 64-bit hashes (token hashes are already well
/// mixed): one multiply and usually one probe per look-up, where `Dictionary` would run SipHash.
/// Used for the per-token look-ups on the hot path (shorthand, phrase first words).
struct HashKeyedTable<Value: Sendable>: Sendable {
    private var keys: [UInt64]
    private var values: [Value?]
    private let shift: UInt64

    init(_ entries: [(key: UInt64, value: Value)]) {
        var bits: UInt64 = 4
        while (1 << bits) < entries.count * 2 + 1 { bits += 1 }
        shift = 64 - bits
        keys = [UInt64](repeating: 0, count: 1 << bits)
        values = [Value?](repeating: nil, count: 1 << bits)
        for (key, value) in entries {
            let key = Self.stored(key)
            var slot = slot(for: key)
            while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & (keys.count - 1) }
            keys[slot] = key
            values[slot] = value
        }
    }

    @inline(__always) private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    @inline(__always) private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9e37_79b9_7f4a_7c15) >> shift)
    }

    @inline(__always)
    func contains(_ key: UInt64) -> Bool { index(of: key) != nil }

    @inline(__always)
    func index(of key: UInt64) -> Int? {
        let key = Self.stored(key)
        return keys.withUnsafeBufferPointer { keys in
            var slot = slot(for: key)
            let mask = keys.count - 1
            while true {
                let existing = keys[slot]
                if existing == key { return slot }
                if existing == 0 { return nil }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The value in a slot `index(of:)` returned.
    func value(at slot: Int) -> Value { values[slot]! }

    @inline(__always)
    subscript(key: UInt64) -> Value? {
        guard let slot = index(of: key) else { return nil }
        return values[slot]
    }
}
