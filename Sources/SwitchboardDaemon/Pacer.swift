import Dispatch
import Synchronization

/// Says yes at most once per interval, from any thread, without a lock: for work that only needs
/// doing now and then (moving a checkpoint when nothing else happens).
final class Pacer: Sendable {
    private let interval: UInt64
    /// When it last said yes (uptime nanoseconds); 0: never, so the first call says yes.
    private let last = Atomic<UInt64>(0)

    init(every seconds: Double) {
        interval = UInt64(seconds * 1e9)
    }

    func ready() -> Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        let previous = last.load(ordering: .relaxed)
        guard previous == 0 || now &- previous >= interval else { return false }
        return last.compareExchange(expected: previous, desired: now, ordering: .relaxed).exchanged
    }
}
