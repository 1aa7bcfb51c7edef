import Synchronization

/// The connection policy for a public TCP listener: per client address, at most
/// `maxConnectionsPerClient` open connections and new connections at most at `connectionRate`
/// a second (burst `connectionBurst`). The server asks on every accept, on the event loop.
///
/// Behind a reverse proxy every connection comes from the proxy, so addresses in `exempt` (the
/// listener's trusted proxies) are not limited here; per-client limits for them apply per
/// request instead (`ClientRateLimiter` keyed by `forwardedInfo(trusting:).clientAddress`).
/// The server's global `maxConnections` still applies to everyone.
public final class RateLimitPolicy: HTTPConnectionPolicy {
    public let maxConnectionsPerClient: Int
    private let exempt: TrustedProxies
    private let connectionLimiter: ClientRateLimiter?
    private let open = Mutex<[String: Int]>([:])
    private let refused = Atomic<Int>(0)

    public init(maxConnectionsPerClient: Int, connectionRate: Double? = nil, connectionBurst: Double? = nil,
                exempt: TrustedProxies = .none,
                clock: @escaping @Sendable () -> UInt64 = ClientRateLimiter.monotonicNanoseconds) {
        self.maxConnectionsPerClient = max(1, maxConnectionsPerClient)
        self.exempt = exempt
        if let rate = connectionRate, rate > 0 {
            connectionLimiter = ClientRateLimiter(rate: rate, burst: max(1, connectionBurst ?? rate * 2), clock: clock)
        } else {
            connectionLimiter = nil
        }
    }

    public func shouldAccept(_ peer: HTTPPeer) -> Bool {
        guard case .tcp(let address, _) = peer, !exempt.contains(address) else { return true }
        if let connectionLimiter, case .limited = connectionLimiter.take(address) {
            refused.add(1, ordering: .relaxed)
            return false
        }
        let accepted = open.withLock { table -> Bool in
            let current = table[address, default: 0]
            guard current < maxConnectionsPerClient else { return false }
            table[address] = current + 1
            return true
        }
        if !accepted { refused.add(1, ordering: .relaxed) }
        return accepted
    }

    public func connectionClosed(_ peer: HTTPPeer) {
        guard case .tcp(let address, _) = peer, !exempt.contains(address) else { return }
        open.withLock { table in
            guard let current = table[address] else { return }
            if current <= 1 { table.removeValue(forKey: address) } else { table[address] = current - 1 }
        }
    }

    /// Open connections of one address (for tests and status).
    public func openConnections(of address: String) -> Int { open.withLock { $0[address] ?? 0 } }

    /// Connections refused by this policy since it was made.
    public var refusedCount: Int { refused.load(ordering: .relaxed) }
}
