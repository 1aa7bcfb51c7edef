#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SwitchboardCore

/// One epoll loop on one thread: accepts, reads, parses, calls the handler, writes, and keeps
/// the timers for its own connections. Everything but the mailbox is touched only on the loop's
/// thread; other threads talk to it by `enqueue`, which wakes the loop through an eventfd. A
/// server runs one or more loops over the same listening sockets (`HTTPLoopShared`).
final class HTTPEventLoop: @unchecked Sendable {
    enum Task: Sendable {
        case respond(HTTPConnectionRef, HTTPResponse)
        case startStream(HTTPConnectionRef, status: Int, headers: HTTPHeaders, writer: HTTPStreamWriter)
        case streamWrite(HTTPConnectionRef, [UInt8])
        case streamFinish(HTTPConnectionRef)
        case stopAccepting
        /// A connection another loop accepted and handed to this one (`HTTPLoopShared.pickLoop`).
        case adopt(fd: Int32, peer: HTTPPeer)
        /// Liveness probe for the watchdog: answered by the loop thread itself.
        case ping
        case shutdown(deadline: UInt64, completion: @Sendable (HTTPServer.ShutdownResult) -> Void)
    }

    private struct Mailbox {
        var tasks: [Task] = []
        var wakePending = false
        var closed = false
    }

    private typealias Sys = LinuxEventPrimitives
    private static let wakeToken: UInt64 = .max
    private static let listenerTag: UInt64 = 1 << 63
    private static let readAheadLimit = 64 * 1024

    private let configuration: HTTPServer.Configuration
    private let handler: HTTPHandler
    private let counters: HTTPServerCounters
    private let shared: HTTPLoopShared
    private let logger: Logger
    private let epfd: Int32
    private let wakeFD: Int32
    private let mailbox = SleepingMutex(Mailbox())
    private let threadID = Atomic<UInt>(0)
    private let pingsSent = Atomic<UInt64>(0)
    private let pingsAnswered = Atomic<UInt64>(0)

    /// True when the loop answered the previous probe; then sends the next one. Called at the
    /// watchdog's interval, a loop stuck in a handler or a syscall fails the second call.
    func probeResponsiveness() -> Bool {
        let sent = pingsSent.load(ordering: .acquiring)
        let answered = pingsAnswered.load(ordering: .acquiring)
        guard answered >= sent else { return false }
        pingsSent.add(1, ordering: .releasing)
        enqueue(.ping)
        return true
    }

    private let idleTimeout: UInt64
    private let readTimeout: UInt64
    private let writeTimeout: UInt64
    private let lingerTimeout: UInt64
    private let sweepInterval: UInt64

    // Loop-thread state.
    private var listeners: [HTTPListenerSocket?]
    /// Until this loop tells `shared` it no longer watches the listeners (once).
    private var holdsListeners = true
    private var listenersPausedUntil: UInt64 = 0
    private var slots: [HTTPConnection?] = []
    private var activeCount = 0
    private var nextGeneration: UInt32 = 0
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var now: UInt64 = 0
    private var dateCache = HTTPDateCache()
    private var drainDeadline: UInt64?
    private var shutdownCompletions: [@Sendable (HTTPServer.ShutdownResult) -> Void] = []
    private var forciblyClosed = 0
    private var running = true
    private var nextSweep: UInt64 = 0

    init(configuration: HTTPServer.Configuration, handler: @escaping HTTPHandler, counters: HTTPServerCounters,
         shared: HTTPLoopShared) throws {
        self.configuration = configuration
        self.handler = handler
        self.counters = counters
        self.shared = shared
        self.logger = configuration.logger
        self.listeners = shared.listeners
        idleTimeout = configuration.idleTimeout.nanoseconds
        readTimeout = configuration.requestReadTimeout.nanoseconds
        writeTimeout = configuration.writeTimeout.nanoseconds
        lingerTimeout = min(readTimeout, 2_000_000_000)
        let shortest = min(idleTimeout, readTimeout, writeTimeout)
        sweepInterval = max(5_000_000, min(shortest / 4, 1_000_000_000))

        epfd = Sys.epollCreate1(Sys.cloexec)
        guard epfd >= 0 else {
            let e = errno
            throw HTTPServerError(operation: "start", address: "the event loop", reason: Sys.errnoDescription(e), errno: e)
        }
        wakeFD = Sys.eventfd(0, Sys.nonblock | Sys.cloexec)
        guard wakeFD >= 0 else {
            let e = errno
            _ = Glibc.close(epfd)
            throw HTTPServerError(operation: "start", address: "the event loop", reason: Sys.errnoDescription(e), errno: e)
        }
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        Sys.control(epfd, Sys.EPOLL_CTL_ADD, wakeFD, events: Sys.EPOLLIN, data: Self.wakeToken)
        for (i, listener) in shared.listeners.enumerated() {
            Sys.control(epfd, Sys.EPOLL_CTL_ADD, listener.fd, events: Self.listenerEvents, data: Self.listenerTag | UInt64(i))
        }
    }

    private static let listenerEvents = Sys.EPOLLIN | Sys.EPOLLEXCLUSIVE

    /// Releases what `init` opened, for a loop that will never run (another loop of the same
    /// server failed to start).
    func discard() {
        _ = Glibc.close(wakeFD)
        _ = Glibc.close(epfd)
        readBuffer.deallocate()
    }

    var isOnLoopThread: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    // MARK: Cross-thread entry points

    /// Hands work to the loop from any thread.
    func enqueue(_ task: Task) {
        let accepted = mailbox.withLock { m -> Bool in
            if m.closed { return false }
            m.tasks.append(task)
            if !m.wakePending {
                m.wakePending = true
                var one: UInt64 = 1
                _ = write(wakeFD, &one, 8)
            }
            return true
        }
        if !accepted {
            switch task {
            case .shutdown(_, let completion): completion(HTTPServer.ShutdownResult(graceful: true, forciblyClosed: 0))
            case .startStream(_, _, _, let writer): writer.closedByServer()
            case .adopt(let fd, let peer): abandon(fd: fd, peer: peer)
            default: break
            }
        }
    }

    /// Closes a connection that was accepted but never registered with a loop.
    private func abandon(fd: Int32, peer: HTTPPeer) {
        _ = Glibc.close(fd)
        shared.releaseConnection()
        configuration.policy.connectionClosed(peer)
    }

    /// A response, applied at once when called on the loop thread (a handler answering
    /// synchronously), else queued.
    func respond(_ ref: HTTPConnectionRef, _ response: HTTPResponse) {
        if isOnLoopThread { applyResponse(ref, response) } else { enqueue(.respond(ref, response)) }
    }

    func noteUnansweredRequest() {
        logger.warning("request handler finished without a response; sent 500")
    }

    // MARK: The loop

    func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        let events = Sys.EventBuffer(capacity: 256)
        defer { events.deallocate() }
        now = Sys.monotonicNanoseconds()
        nextSweep = now &+ sweepInterval
        dateCache.update()

        while running {
            var timeout: Int32 = -1
            if activeCount > 0 || drainDeadline != nil || listenersPausedUntil != 0 {
                var until = nextSweep
                if let d = drainDeadline { until = min(until, d) }
                let wait = until > now ? until - now : 0
                timeout = Int32(min((wait + 999_999) / 1_000_000, 1000))
            }
            let n = events.wait(epfd, timeoutMilliseconds: timeout)
            now = Sys.monotonicNanoseconds()
            dateCache.update()
            if n < 0 {
                let e = errno
                if e == EBADF || e == EINVAL {
                    // The loop's epoll descriptor is gone: something closed a descriptor it did not
                    // own. Waiting again would spin forever; stop so that systemd restarts us.
                    logger.error("event loop's epoll descriptor is invalid; exiting",
                                 ["reason": Sys.errnoDescription(e), "hint": "a bug: a file descriptor was closed twice; please report it with the log"])
                    fatalError("epoll_wait: \(Sys.errnoDescription(e))")
                }
                if e != EINTR { logger.error("epoll_wait failed", ["reason": Sys.errnoDescription(e)]) }
                continue
            }
            for i in 0..<Int(n) {
                handleEvent(data: events.data(at: i), events: events.events(at: i))
            }
            if now >= nextSweep {
                sweep()
                nextSweep = now &+ sweepInterval
            }
            if drainDeadline != nil { checkDrain() }
        }
        teardown()
    }

    private func handleEvent(data: UInt64, events: UInt32) {
        if data == Self.wakeToken {
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
            drainMailbox()
            return
        }
        if data & Self.listenerTag != 0 {
            acceptConnections(Int(data & ~Self.listenerTag))
            return
        }
        let fd = Int(truncatingIfNeeded: data & 0xFFFF_FFFF)
        guard fd < slots.count, let conn = slots[fd], conn.generation == UInt32(truncatingIfNeeded: data >> 32) else { return }
        if events & (Sys.EPOLLHUP | Sys.EPOLLERR) != 0 {
            close(conn, reason: "peer hung up")
            return
        }
        if events & Sys.EPOLLIN != 0 { readable(conn) }
        if !conn.isClosed && events & Sys.EPOLLOUT != 0 { writable(conn) }
    }

    private func drainMailbox() {
        let tasks = mailbox.withLock { m -> [Task] in
            m.wakePending = false
            let tasks = m.tasks
            m.tasks = []
            return tasks
        }
        for task in tasks {
            switch task {
            case .respond(let ref, let response): applyResponse(ref, response)
            case .startStream(let ref, let status, let headers, let writer): applyStartStream(ref, status, headers, writer)
            case .streamWrite(let ref, let bytes): applyStreamWrite(ref, bytes)
            case .streamFinish(let ref): applyStreamFinish(ref)
            case .stopAccepting: closeListeners()
            case .ping: pingsAnswered.add(1, ordering: .releasing)
            case .adopt(let fd, let peer):
                if holdsListeners { register(fd: fd, peer: peer) } else { abandon(fd: fd, peer: peer) }
            case .shutdown(let deadline, let completion): beginShutdown(deadline: deadline, completion: completion)
            }
        }
    }

    // MARK: Accepting

    private func acceptConnections(_ index: Int) {
        guard index < listeners.count, let listener = listeners[index] else { return }
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Sys.accept4(listener.fd, $0, &length, Sys.nonblock | Sys.cloexec)
                }
            }
            if fd < 0 {
                let e = errno
                switch e {
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EAGAIN, EWOULDBLOCK:
                    return
                default:
                    // Out of descriptors or memory: stop accepting briefly instead of spinning.
                    logger.error("accept failed; pausing listeners", ["reason": Sys.errnoDescription(e)])
                    pauseListeners()
                    return
                }
            }
            if !shared.claimConnection(limit: configuration.maxConnections) {
                _ = Glibc.close(fd)
                HTTPServerCounters.bump(counters.rejected)
                if logger.isEnabled(.info) {
                    logger.info("connection rejected: limit reached", ["limit": String(configuration.maxConnections)])
                }
                continue
            }
            let peer: HTTPPeer = listener.isUnix
                ? HTTPListenerSocket.unixPeer(fd)
                : withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { HTTPListenerSocket.peerAddress($0) } }
            if !configuration.policy.shouldAccept(peer) {
                shared.releaseConnection()
                _ = Glibc.close(fd)
                HTTPServerCounters.bump(counters.refused)
                if logger.isEnabled(.info) { logger.info("connection refused by policy", ["peer": peer.description]) }
                continue
            }
            if !listener.isUnix {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            // Connections are spread over the loops in turn: the loop that woke for the listener
            // would otherwise take every connection of a burst.
            let target = shared.pickLoop() ?? self
            if target === self { register(fd: fd, peer: peer) } else { target.enqueue(.adopt(fd: fd, peer: peer)) }
        }
    }

    private func register(fd: Int32, peer: HTTPPeer) {
        nextGeneration = nextGeneration >= 0x7FFF_FFFF ? 1 : nextGeneration + 1
        let conn = HTTPConnection(fd: fd, generation: nextGeneration, id: shared.nextConnectionID(), peer: peer,
                                  limits: configuration.limits, now: now, interest: Sys.EPOLLIN)
        let index = Int(fd)
        if index >= slots.count { slots.append(contentsOf: repeatElement(nil, count: index - slots.count + 64)) }
        slots[index] = conn
        Sys.control(epfd, Sys.EPOLL_CTL_ADD, fd, events: Sys.EPOLLIN, data: UInt64(UInt32(fd)) | UInt64(conn.generation) << 32)
        activeCount += 1
        HTTPServerCounters.bump(counters.accepted)
        HTTPServerCounters.bump(counters.active)
        if logger.isEnabled(.debug) {
            logger.debug("connection accepted", ["conn": String(conn.id), "peer": peer.description])
        }
    }

    private func pauseListeners() {
        for listener in listeners.compactMap({ $0 }) {
            Sys.control(epfd, Sys.EPOLL_CTL_DEL, listener.fd, events: 0, data: 0)
        }
        listenersPausedUntil = now &+ 100_000_000
    }

    private func resumeListenersIfDue() {
        guard listenersPausedUntil != 0, now >= listenersPausedUntil else { return }
        listenersPausedUntil = 0
        for (i, listener) in listeners.enumerated() {
            if let listener {
                Sys.control(epfd, Sys.EPOLL_CTL_ADD, listener.fd, events: Self.listenerEvents, data: Self.listenerTag | UInt64(i))
            }
        }
    }

    /// Stops watching the listeners; the last loop to do so closes them (`HTTPLoopShared`).
    private func closeListeners() {
        for i in listeners.indices {
            if let listener = listeners[i] {
                if listenersPausedUntil == 0 { Sys.control(epfd, Sys.EPOLL_CTL_DEL, listener.fd, events: 0, data: 0) }
                listeners[i] = nil
            }
        }
        listenersPausedUntil = 0
        if holdsListeners {
            holdsListeners = false
            shared.loopReleasedListeners()
        }
    }

    // MARK: Reading and parsing

    private func readable(_ conn: HTTPConnection) {
        if case .lingering = conn.phase {
            // Discard what the client still sends; a few reads per event so a fast sender cannot
            // hold the loop (level-triggered epoll calls again).
            for _ in 0..<4 {
                let n = recv(conn.fd, readBuffer.baseAddress, readBuffer.count, 0)
                if n > 0 { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return }
                close(conn, reason: "closed after final response")
                return
            }
            return
        }
        let n = recv(conn.fd, readBuffer.baseAddress, readBuffer.count, 0)
        if n > 0 {
            conn.parser.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            if conn.isWaiting {
                pump(conn)
                return
            }
        } else if n == 0 {
            conn.peerClosedInput = true
            switch conn.phase {
            case .waiting:
                if conn.pendingOutput == 0 && conn.parser.bufferedByteCount == 0 {
                    close(conn, reason: conn.parser.hasPartialRequest ? "client closed mid-request" : "client closed")
                    return
                }
                pump(conn) // answer what was sent before the end; then close
                return
            case .streaming:
                close(conn, reason: "client closed the stream")
                return
            case .handling, .closing, .lingering:
                break
            }
        } else {
            let e = errno
            if e == EAGAIN || e == EWOULDBLOCK || e == EINTR { return }
            close(conn, reason: "read failed: " + Sys.errnoDescription(e))
            return
        }
        updateInterest(conn)
    }

    /// Answers what is buffered and writes it out, again while writing makes room for more
    /// (pipelined requests already read must not wait for a read event that will never come).
    private func pump(_ conn: HTTPConnection) {
        while true {
            let stalledOnOutput = processInput(conn)
            flush(conn)
            if conn.isClosed { return }
            if !stalledOnOutput || conn.pendingOutput > configuration.maxPendingOutputBytes { break }
        }
        updateInterest(conn)
    }

    /// Parses and dispatches buffered requests until one is with the handler, more bytes are
    /// needed, the connection is closing, or too much output waits (then returns true; the
    /// caller resumes once output is written).
    @discardableResult
    private func processInput(_ conn: HTTPConnection) -> Bool {
        guard !conn.processing, !conn.isClosed else { return false }
        conn.processing = true
        defer { conn.processing = false }
        while case .waiting = conn.phase {
            if conn.pendingOutput > configuration.maxPendingOutputBytes { return true }
            switch conn.parser.next() {
            case .needMoreData:
                if conn.parser.hasPartialRequest {
                    if conn.requestStartedAt == 0 { conn.requestStartedAt = now }
                    if conn.peerClosedInput { conn.phase = .closing } // can never complete
                } else {
                    conn.requestStartedAt = 0
                    conn.idleSince = now
                    if conn.peerClosedInput || drainDeadline != nil { conn.phase = .closing }
                }
                return false
            case .head(let head):
                if conn.requestStartedAt == 0 { conn.requestStartedAt = now }
                if head.expectsContinue && head.hasBody {
                    conn.output.append(contentsOf: HTTPResponse.continueResponse)
                }
            case .request(let request):
                dispatch(request, on: conn)
            case .failure(let error):
                refuse(conn, error)
                return false
            }
        }
        return false
    }

    private func dispatch(_ request: HTTPRequest, on conn: HTTPConnection) {
        conn.sequence += 1
        conn.requestStartedAt = 0
        HTTPServerCounters.bump(counters.requests)
        var keepAlive = request.keepAlive && drainDeadline == nil
        if let max = configuration.maxRequestsPerConnection, conn.sequence >= UInt64(max) { keepAlive = false }
        let isHTTP10 = request.version == .http1_0
        conn.phase = .handling(.init(keepAlive: keepAlive, announceKeepAlive: isHTTP10, isHEAD: request.method == "HEAD",
                                     isHTTP10: isHTTP10, receivedAt: now))
        let responder = HTTPResponder(loop: self, ref: HTTPConnectionRef(fd: conn.fd, generation: conn.generation, sequence: conn.sequence))
        handler(request, responder)
    }

    private func refuse(_ conn: HTTPConnection, _ error: HTTPParseError) {
        counters.countParseError(status: error.status)
        if logger.isEnabled(.info) {
            logger.info("request refused", ["conn": String(conn.id), "peer": conn.peer.description,
                                            "status": String(error.status), "reason": error.reason,
                                            "field": error.field ?? "-"])
        }
        let response = HTTPResponse.parseError(error)
        response.serialize(into: &conn.output, keepAlive: false, announceKeepAlive: false, omitBody: false, date: dateCache.line)
        counters.countResponse(status: error.status)
        conn.phase = .closing
    }

    // MARK: Responses

    private func connection(_ ref: HTTPConnectionRef) -> HTTPConnection? {
        let index = Int(ref.fd)
        guard index >= 0, index < slots.count, let conn = slots[index], conn.generation == ref.generation,
              conn.sequence == ref.sequence else { return nil }
        return conn
    }

    private func applyResponse(_ ref: HTTPConnectionRef, _ response: HTTPResponse) {
        guard let conn = connection(ref), case .handling(let state) = conn.phase else { return }
        let keepAlive = state.keepAlive && drainDeadline == nil
        response.serialize(into: &conn.output, keepAlive: keepAlive, announceKeepAlive: state.announceKeepAlive && keepAlive,
                           omitBody: state.isHEAD, date: dateCache.line)
        counters.countResponse(status: response.status)
        counters.recordRequestLatency(nanoseconds: Sys.monotonicNanoseconds() &- state.receivedAt)
        conn.phase = keepAlive ? .waiting : .closing
        conn.idleSince = now
        if conn.processing { return } // answered synchronously: processInput carries on and flushes
        pump(conn)
    }

    private func applyStartStream(_ ref: HTTPConnectionRef, _ status: Int, _ headers: HTTPHeaders, _ writer: HTTPStreamWriter) {
        guard let conn = connection(ref), case .handling(let state) = conn.phase else {
            writer.closedByServer()
            return
        }
        HTTPServerCounters.bump(counters.streams)
        counters.countResponse(status: status)
        let chunked = !state.isHTTP10
        let keepAlive = chunked && state.keepAlive && drainDeadline == nil
        HTTPResponse.appendHead(status: status, reason: nil, headers: headers, framing: chunked ? .chunked : .untilClose,
                                keepAlive: keepAlive, announceKeepAlive: false, date: dateCache.line, into: &conn.output)
        conn.phase = .streaming(.init(chunked: chunked, keepAlive: keepAlive))
        conn.stream = writer
        if state.isHEAD || drainDeadline != nil { endStream(conn) }
        flush(conn)
        updateInterest(conn)
    }

    private func applyStreamWrite(_ ref: HTTPConnectionRef, _ bytes: [UInt8]) {
        guard let conn = connection(ref), case .streaming(let state) = conn.phase else { return }
        if state.chunked {
            HTTPResponse.appendChunk(bytes, to: &conn.output)
        } else {
            conn.output.append(contentsOf: bytes)
        }
        if conn.pendingOutput > configuration.maxPendingOutputBytes {
            close(conn, reason: "stream client not reading")
            return
        }
        flush(conn)
        updateInterest(conn)
    }

    private func applyStreamFinish(_ ref: HTTPConnectionRef) {
        guard let conn = connection(ref), case .streaming(let state) = conn.phase else { return }
        conn.stream = nil
        if state.chunked { conn.output.append(contentsOf: HTTPResponse.lastChunk) }
        conn.phase = state.keepAlive ? .waiting : .closing
        conn.idleSince = now
        pump(conn)
    }

    /// Ends a stream from the server's side (shutdown, HEAD): last chunk, then close.
    private func endStream(_ conn: HTTPConnection) {
        guard case .streaming(let state) = conn.phase else { return }
        if state.chunked { conn.output.append(contentsOf: HTTPResponse.lastChunk) }
        conn.phase = .closing
        let writer = conn.stream
        conn.stream = nil
        writer?.closedByServer()
    }

    // MARK: Writing

    private func writable(_ conn: HTTPConnection) {
        if conn.isWaiting {
            pump(conn)
        } else {
            flush(conn)
            updateInterest(conn)
        }
    }

    /// Writes as much pending output as the socket takes; finishes a closing connection.
    private func flush(_ conn: HTTPConnection) {
        guard !conn.isClosed else { return }
        while conn.outputOffset < conn.output.count {
            let n = conn.output.withUnsafeBytes { raw in
                send(conn.fd, raw.baseAddress! + conn.outputOffset, raw.count - conn.outputOffset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                conn.outputOffset += n
                conn.lastWriteProgress = now
                continue
            }
            let e = errno
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { break }
            close(conn, reason: "write failed: " + Sys.errnoDescription(e))
            return
        }
        if conn.outputOffset > 0 && conn.outputOffset == conn.output.count {
            conn.output.removeAll(keepingCapacity: conn.output.capacity <= 64 * 1024)
            conn.outputOffset = 0
        }
        if conn.pendingOutput == 0, case .closing = conn.phase {
            if conn.peerClosedInput {
                close(conn, reason: "closed after response")
            } else {
                // Let the client read the response before we close: shut our side, drain theirs.
                shutdown(conn.fd, Int32(SHUT_WR))
                conn.phase = .lingering(until: now &+ lingerTimeout)
                updateInterest(conn)
            }
        }
    }

    private func updateInterest(_ conn: HTTPConnection) {
        guard !conn.isClosed else { return }
        var want: UInt32 = 0
        let outputOK = conn.pendingOutput <= configuration.maxPendingOutputBytes
        switch conn.phase {
        case .waiting:
            if !conn.peerClosedInput && outputOK { want = Sys.EPOLLIN }
        case .handling, .streaming:
            if !conn.peerClosedInput && outputOK && conn.parser.bufferedByteCount < Self.readAheadLimit { want = Sys.EPOLLIN }
        case .closing:
            break
        case .lingering:
            want = Sys.EPOLLIN
        }
        if conn.pendingOutput > 0 { want |= Sys.EPOLLOUT }
        if want != conn.interest {
            Sys.control(epfd, Sys.EPOLL_CTL_MOD, conn.fd, events: want, data: UInt64(UInt32(conn.fd)) | UInt64(conn.generation) << 32)
            conn.interest = want
        }
    }

    private func close(_ conn: HTTPConnection, reason: String) {
        guard !conn.isClosed else { return }
        conn.isClosed = true
        _ = Glibc.close(conn.fd)
        slots[Int(conn.fd)] = nil
        activeCount -= 1
        shared.releaseConnection()
        counters.active.wrappingSubtract(1, ordering: .relaxed)
        if let writer = conn.stream {
            conn.stream = nil
            writer.closedByServer()
        }
        configuration.policy.connectionClosed(conn.peer)
        if logger.isEnabled(.debug) {
            logger.debug("connection closed", ["conn": String(conn.id), "reason": reason, "requests": String(conn.sequence)])
        }
    }

    // MARK: Timers

    private func sweep() {
        resumeListenersIfDue()
        for index in slots.indices {
            guard let conn = slots[index] else { continue }
            if conn.pendingOutput > 0 && now &- conn.lastWriteProgress > writeTimeout {
                HTTPServerCounters.bump(counters.writeTimeouts)
                close(conn, reason: "write timeout")
                continue
            }
            switch conn.phase {
            case .waiting:
                if conn.requestStartedAt != 0 {
                    if now &- conn.requestStartedAt > readTimeout { requestTimedOut(conn) }
                } else if conn.pendingOutput == 0 && now &- conn.idleSince > idleTimeout {
                    HTTPServerCounters.bump(counters.idleTimeouts)
                    close(conn, reason: "idle timeout")
                }
            case .lingering(let until):
                if now >= until { close(conn, reason: "linger ended") }
            case .handling, .streaming, .closing:
                break
            }
        }
    }

    private func requestTimedOut(_ conn: HTTPConnection) {
        HTTPServerCounters.bump(counters.readTimeouts)
        refuse(conn, HTTPParseError(status: 408, reason: "request not complete within the read timeout"))
        flush(conn)
        updateInterest(conn)
    }

    // MARK: Shutdown

    private func beginShutdown(deadline: UInt64, completion: @escaping @Sendable (HTTPServer.ShutdownResult) -> Void) {
        shutdownCompletions.append(completion)
        if let existing = drainDeadline {
            drainDeadline = min(existing, deadline)
            return
        }
        drainDeadline = deadline
        closeListeners()
        logger.info("draining connections", ["open": String(activeCount)])
        for index in slots.indices {
            guard let conn = slots[index] else { continue }
            switch conn.phase {
            case .waiting:
                if conn.parser.hasPartialRequest { continue } // let it finish; its response closes
                if conn.pendingOutput == 0 {
                    close(conn, reason: "shutdown")
                } else {
                    conn.phase = .closing
                    updateInterest(conn)
                }
            case .streaming:
                endStream(conn)
                flush(conn)
                updateInterest(conn)
            case .handling, .closing, .lingering:
                break
            }
        }
        checkDrain()
    }

    private func checkDrain() {
        guard let deadline = drainDeadline else { return }
        if activeCount == 0 {
            running = false
        } else if now >= deadline {
            forciblyClosed += activeCount
            logger.warning("shutdown timeout; closing connections", ["open": String(activeCount)])
            for index in slots.indices {
                if let conn = slots[index] { close(conn, reason: "shutdown timeout") }
            }
            running = false
        }
    }

    private func teardown() {
        for index in slots.indices {
            if let conn = slots[index] {
                forciblyClosed += 1
                close(conn, reason: "server stopped")
            }
        }
        closeListeners()
        let leftovers = mailbox.withLock { m -> [Task] in
            m.closed = true
            let tasks = m.tasks
            m.tasks = []
            return tasks
        }
        _ = Glibc.close(wakeFD)
        _ = Glibc.close(epfd)
        readBuffer.deallocate()
        for task in leftovers {
            switch task {
            case .shutdown(_, let completion): shutdownCompletions.append(completion)
            case .startStream(_, _, _, let writer): writer.closedByServer()
            case .adopt(let fd, let peer): abandon(fd: fd, peer: peer)
            default: break
            }
        }
        let result = HTTPServer.ShutdownResult(graceful: forciblyClosed == 0, forciblyClosed: forciblyClosed)
        logger.info("stopped", ["forcibly_closed": String(forciblyClosed)])
        for completion in shutdownCompletions { completion(result) }
    }
}
