/// Names one request on one connection, for answers arriving from other threads. A connection
/// slot is reused after close, so the generation tells an old connection from a new one, and the
/// sequence an old request from the current one.
struct HTTPConnectionRef: Sendable {
    var fd: Int32
    var generation: UInt32
    var sequence: UInt64
}

/// One client connection. Owned and touched only by its event loop's thread.
final class HTTPConnection {
    enum Phase {
        /// Reading the next request (none started, or part of one buffered).
        case waiting
        /// A request is with the handler; further bytes stay buffered.
        case handling(HandlingState)
        /// A streaming response is open.
        case streaming(StreamState)
        /// The last response is queued; close once it is written.
        case closing
        /// Write side shut after an error response; reading and discarding until the client
        /// closes (or `until`), so that unread request bytes do not turn into a reset that
        /// destroys the response.
        case lingering(until: UInt64)
    }

    struct HandlingState {
        var keepAlive: Bool
        var announceKeepAlive: Bool
        var isHEAD: Bool
        var isHTTP10: Bool
        /// The loop's clock (set at each wake-up) when the rest of the request was read, for the
        /// request-latency histogram.
        var receivedAt: UInt64
    }

    struct StreamState {
        var chunked: Bool
        var keepAlive: Bool
    }

    let fd: Int32
    let generation: UInt32
    /// For logs: "conn=42".
    let id: UInt64
    let peer: HTTPPeer
    var parser: HTTPRequestParser
    var phase: Phase = .waiting
    var isClosed = false
    /// Requests handed to the handler on this connection.
    var sequence: UInt64 = 0
    var idleSince: UInt64
    /// When the first byte of the request being read arrived; 0 when none is in progress.
    var requestStartedAt: UInt64 = 0
    var output: [UInt8] = []
    var outputOffset = 0
    var lastWriteProgress: UInt64
    /// The epoll events currently registered.
    var interest: UInt32
    /// The client shut its write side (read returned 0).
    var peerClosedInput = false
    /// Inside `processInput`: a response sent synchronously by the handler must not re-enter it.
    var processing = false
    var stream: HTTPStreamWriter?

    init(fd: Int32, generation: UInt32, id: UInt64, peer: HTTPPeer, limits: HTTPServerLimits, now: UInt64, interest: UInt32) {
        self.fd = fd
        self.generation = generation
        self.id = id
        self.peer = peer
        self.parser = HTTPRequestParser(limits: limits, peer: peer)
        self.idleSince = now
        self.lastWriteProgress = now
        self.interest = interest
    }

    var pendingOutput: Int { output.count - outputOffset }

    var isWaiting: Bool {
        if case .waiting = phase { return true }
        return false
    }
}
