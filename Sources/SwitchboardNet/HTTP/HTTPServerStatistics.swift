import Synchronization
import SwitchboardCore

/// A snapshot of the server's counters, for `/metrics` and the JSON status.
/// Counters only grow, except `connectionsActive`.
public struct HTTPServerStatistics: Sendable, Equatable {
    /// Connections taken in and served.
    public var connectionsAccepted: Int
    public var connectionsActive: Int
    /// Connections closed at once because `maxConnections` were open.
    public var connectionsRejected: Int
    /// Connections closed at once because the connection policy refused the peer.
    public var connectionsRefusedByPolicy: Int
    /// Requests handed to the handler.
    public var requests: Int
    /// Responses sent, by status class: index 1 is 1xx (`100 Continue` excluded) … index 5 is 5xx.
    public var responsesByClass: [Int]
    /// Requests refused before the handler, by status (400, 408, 413, 414, 431, 501, 505).
    public var parseErrorsByStatus: [Int: Int]
    public var idleTimeouts: Int
    /// Requests not complete within the read timeout (answered 408; also counted under 408 above).
    public var readTimeouts: Int
    public var writeTimeouts: Int
    /// Streaming responses started.
    public var streams: Int
    /// Requests answered (not streams, not parse errors): from the event loop's wake-up in which
    /// it read the rest of the request to the response being queued for sending. Handler time,
    /// the loop's work on other connections in that wake-up, and for ingest the wait for the
    /// store's commit and fsync are inside it; time in the kernel's socket queues before the
    /// loop woke is not.
    public var requestLatency: LatencyHistogram

    public func responses(statusClass: Int) -> Int {
        statusClass >= 1 && statusClass <= 5 ? responsesByClass[statusClass] : 0
    }
}

/// The live counters. Written by the event loop, read by anyone.
final class HTTPServerCounters: Sendable {
    let accepted = Atomic<Int>(0)
    let active = Atomic<Int>(0)
    let rejected = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    let responses1xx = Atomic<Int>(0)
    let responses2xx = Atomic<Int>(0)
    let responses3xx = Atomic<Int>(0)
    let responses4xx = Atomic<Int>(0)
    let responses5xx = Atomic<Int>(0)
    let idleTimeouts = Atomic<Int>(0)
    let readTimeouts = Atomic<Int>(0)
    let writeTimeouts = Atomic<Int>(0)
    let streams = Atomic<Int>(0)
    private let parseErrors = Mutex<[Int: Int]>([:])
    private let requestLatency = Mutex(LatencyHistogram())

    @inline(__always)
    static func bump(_ counter: borrowing Atomic<Int>, by n: Int = 1) {
        counter.wrappingAdd(n, ordering: .relaxed)
    }

    func countResponse(status: Int) {
        switch status / 100 {
        case 1: Self.bump(responses1xx)
        case 2: Self.bump(responses2xx)
        case 3: Self.bump(responses3xx)
        case 4: Self.bump(responses4xx)
        default: Self.bump(responses5xx)
        }
    }

    func recordRequestLatency(nanoseconds: UInt64) {
        requestLatency.withLock { $0.record(seconds: Double(nanoseconds) / 1e9) }
    }

    func countParseError(status: Int) {
        parseErrors.withLock { $0[status, default: 0] += 1 }
    }

    func snapshot() -> HTTPServerStatistics {
        HTTPServerStatistics(
            connectionsAccepted: accepted.load(ordering: .relaxed),
            connectionsActive: active.load(ordering: .relaxed),
            connectionsRejected: rejected.load(ordering: .relaxed),
            connectionsRefusedByPolicy: refused.load(ordering: .relaxed),
            requests: requests.load(ordering: .relaxed),
            responsesByClass: [0, responses1xx.load(ordering: .relaxed), responses2xx.load(ordering: .relaxed),
                               responses3xx.load(ordering: .relaxed), responses4xx.load(ordering: .relaxed),
                               responses5xx.load(ordering: .relaxed)],
            parseErrorsByStatus: parseErrors.withLock { $0 },
            idleTimeouts: idleTimeouts.load(ordering: .relaxed),
            readTimeouts: readTimeouts.load(ordering: .relaxed),
            writeTimeouts: writeTimeouts.load(ordering: .relaxed),
            streams: streams.load(ordering: .relaxed),
            requestLatency: requestLatency.withLock { $0 })
    }
}
