/// Which weight row a hashed feature bucket has, for the buckets training saw: an
/// open-addressing table sized to the rows, not to the 2^hashBits buckets.
///
/// A message has a hundred or more features and most are looked up to find nothing (character
/// n-grams training never saw). A direct table of one entry per bucket was 4 MiB for the default
/// 2^20 buckets, so nearly every look-up missed the CPU cache once the event loop had done other
/// work in between: classification took about four times as long in the daemon as in a tight
/// loop. This table holds at most half as many slots filled (512 KiB for the default model).
struct BucketRows: Sendable {
    /// `(bucket + 1) << 32 | row`, or 0 for an empty slot.
    private let slots: [UInt64]
    private let mask: Int

    init(_ rowBuckets: [UInt32]) {
        var size = 16
        while size < rowBuckets.count * 2 { size <<= 1 }
        var slots = [UInt64](repeating: 0, count: size)
        let mask = size - 1
        for (row, bucket) in rowBuckets.enumerated() {
            // Buckets are already the top bits of a 64-bit hash: their low bits spread evenly.
            var position = Int(bucket) & mask
            while slots[position] != 0 { position = (position + 1) & mask }
            slots[position] = (UInt64(bucket) + 1) << 32 | UInt64(UInt32(row))
        }
        self.slots = slots
        self.mask = mask
    }

    /// The bucket's row, or -1 when training never saw it.
    @inline(__always)
    func row(of bucket: UInt32) -> Int32 {
        slots.withUnsafeBufferPointer { slots in
            let key = UInt64(bucket) + 1
            var position = Int(bucket) & mask
            while true {
                let slot = slots[position]
                if slot == 0 { return -1 }
                if slot >> 32 == key { return Int32(truncatingIfNeeded: slot & 0xFFFF_FFFF) }
                position = (position &+ 1) & mask
            }
        }
    }
}
