import Synchronization
import SwitchboardCore

/// What a server's event loops share: the listening sockets, the count of open connections
/// (`maxConnections` is for the server, not per loop) and connection ids.
///
/// Every loop watches every listening socket (with EPOLLEXCLUSIVE, so one loop wakes per new
/// connection) and accepts from it on its own thread. A socket is closed only after every loop
/// has stopped watching it: closing it while another loop might still call accept4 on its number
/// could accept from an unrelated socket that reused the number.
final class HTTPLoopShared: Sendable {
    let listeners: [HTTPListenerSocket]
    let activeConnections = Atomic<Int>(0)
    private let connectionIDs = Atomic<UInt64>(0)
    private let holders: Atomic<Int>
    private let logger: Logger
    /// The loops, for spreading new connections over them; emptied when the listeners close
    /// (which also ends the loops' references to each other).
    private let loops = Mutex<[HTTPEventLoop]>([])
    private let turn = Atomic<Int>(0)

    init(listeners: [HTTPListenerSocket], loops: Int, logger: Logger) {
        self.listeners = listeners
        self.holders = Atomic(loops)
        self.logger = logger
    }

    func setLoops(_ all: [HTTPEventLoop]) { loops.withLock { $0 = all } }

    /// The loop that serves the next new connection: each in turn. Nil with one loop.
    func pickLoop() -> HTTPEventLoop? {
        loops.withLock { loops in
            guard loops.count > 1 else { return nil }
            return loops[turn.add(1, ordering: .relaxed).newValue % loops.count]
        }
    }

    /// A server-wide id for a new connection (for logs).
    func nextConnectionID() -> UInt64 {
        connectionIDs.add(1, ordering: .relaxed).newValue
    }

    /// Claims a place for a new connection under `limit`; false when the server is full.
    func claimConnection(limit: Int) -> Bool {
        if activeConnections.add(1, ordering: .relaxed).newValue > limit {
            activeConnections.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func releaseConnection() {
        activeConnections.subtract(1, ordering: .relaxed)
    }

    /// Called once by each loop when it no longer watches the listeners; the last one closes them.
    func loopReleasedListeners() {
        guard holders.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        loops.withLock { $0 = [] }
        for listener in listeners {
            listener.close()
            logger.info("stopped listening", ["address": listener.address.description])
        }
    }
}
