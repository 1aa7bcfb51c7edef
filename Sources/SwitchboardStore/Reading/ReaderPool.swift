import Synchronization

/// Read-only connections for any thread. WAL lets them read the last committed state while the
/// writer writes, so a read never waits for a batch and never delays one. A read leases a
/// connection (or opens one when all are busy), uses it on the calling thread, and gives it back;
/// at most `readerConnections` idle ones are kept.
final class ReaderPool: Sendable {
    /// Handed to exactly one thread at a time by the pool's lease, which is what makes passing it
    /// between threads sound.
    private final class Lease: @unchecked Sendable {
        let db: Database
        init(_ db: Database) { self.db = db }
    }

    private struct State {
        var idle: [Lease] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let path: String
    private let options: StoreOptions

    init(path: String, options: StoreOptions) {
        self.path = path
        self.options = options
    }

    func withConnection<T>(_ purpose: String, _ body: (Database) throws(StoreError) -> T) throws(StoreError) -> T {
        let (reused, closed) = state.withLock { state -> (Lease?, Bool) in
            state.closed ? (nil, true) : (state.idle.popLast(), false)
        }
        if closed {
            throw StoreError(code: .closed, purpose: purpose, message: "the store is closed")
        }
        let lease: Lease
        if let reused { lease = reused } else { lease = Lease(try Database.openReader(path: path, options: options)) }
        defer {
            state.withLock { state in
                if !state.closed && state.idle.count < max(1, options.readerConnections) {
                    state.idle.append(lease)
                }
            }
        }
        return try body(lease.db)
    }

    /// Refuses new reads and closes idle connections; leased ones close when given back.
    func close() {
        let idle = state.withLock { state -> [Lease] in
            state.closed = true
            let idle = state.idle
            state.idle = []
            return idle
        }
        _ = idle  // released here, on the caller's thread, outside the lock
    }
}
