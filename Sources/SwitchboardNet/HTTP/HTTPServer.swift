import Dispatch
import Foundation
import Synchronization
import SwitchboardCore

/// The HTTP/1.1 server behind every listener of the daemon: the agent and admin API on the local
/// Unix socket, webhooks and the dashboard on TCP. `configuration.eventLoops` epoll loops, each on
/// its own thread, share the listeners and serve the connections each accepted; handlers run on
/// the loop that read the request (so on several threads at once) and may answer later from any
/// thread.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(listeners: [.tcp(host: "127.0.0.1", port: 8080)])) { request, responder in
///     responder.send(.text("ok"))
/// }
/// try server.start()
/// …
/// server.shutdown(gracefulTimeout: .seconds(10))
/// ```
public final class HTTPServer: Sendable {
    public let configuration: Configuration
    private let handler: HTTPHandler
    private let counters = HTTPServerCounters()
    private let state = Mutex<State>(.notStarted)

    private enum State: Sendable {
        case notStarted
        case running([HTTPEventLoop], [BoundAddress])
        case stopping([HTTPEventLoop], [BoundAddress])
        case stopped([BoundAddress])
    }

    public init(configuration: Configuration, handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    /// Binds every listener, then starts the event loop. Throws `HTTPServerError` naming the
    /// address that failed; nothing stays bound then.
    public func start() throws {
        let addresses: [BoundAddress] = try state.withLock { state in
            guard case .notStarted = state else {
                throw HTTPServerError(operation: "start", address: configuration.listeners.map(\.description).joined(separator: ", "),
                                      reason: "the server was already started")
            }
            guard !configuration.listeners.isEmpty else {
                throw HTTPServerError(operation: "start", address: "(none)", reason: "no listeners configured")
            }
            var sockets: [HTTPListenerSocket] = []
            do {
                for listener in configuration.listeners { sockets.append(try HTTPListenerSocket.open(listener)) }
            } catch {
                sockets.forEach { $0.close() }
                throw error
            }
            let count = max(1, configuration.eventLoops)
            let shared = HTTPLoopShared(listeners: sockets, loops: count, logger: configuration.logger)
            var loops: [HTTPEventLoop] = []
            do {
                for _ in 0..<count {
                    loops.append(try HTTPEventLoop(configuration: configuration, handler: handler, counters: counters, shared: shared))
                }
            } catch {
                // Loops that were made never ran: they hold epoll and eventfd descriptors only.
                loops.forEach { $0.discard() }
                sockets.forEach { $0.close() }
                throw error
            }
            shared.setLoops(loops)
            for (index, loop) in loops.enumerated() {
                let thread = Thread {
                    ThreadName.setCurrent(count == 1 ? "http-loop" : "http-loop-\(index)")
                    loop.run()
                }
                thread.name = "switchboard-http-\(index)"
                thread.start()
            }
            let addresses = sockets.map(\.address)
            state = .running(loops, addresses)
            return addresses
        }
        for address in addresses {
            configuration.logger.notice("listening", ["address": address.description])
        }
    }

    /// Where the server listens, with real ports (after `start()`).
    public var boundAddresses: [BoundAddress] {
        state.withLock { state in
            switch state {
            case .notStarted: []
            case .running(_, let a), .stopping(_, let a), .stopped(let a): a
            }
        }
    }

    /// Counters for metrics.
    public var statistics: HTTPServerStatistics { counters.snapshot() }

    /// Closes the listeners (and removes Unix socket files); open connections carry on.
    public func stopAccepting() {
        for loop in currentLoops() { loop.enqueue(.stopAccepting) }
    }

    /// Stops accepting, closes idle connections, lets requests in progress finish and their
    /// responses go out (with `Connection: close`), ends open streams, then stops the loop.
    /// Connections still open after `gracefulTimeout` are closed. `completion` runs once, on the
    /// loop thread or the caller's.
    public func shutdown(gracefulTimeout: Duration, completion: @escaping @Sendable (ShutdownResult) -> Void) {
        let loops: [HTTPEventLoop] = state.withLock { state in
            switch state {
            case .running(let loops, let a):
                state = .stopping(loops, a)
                return loops
            case .stopping(let loops, _):
                return loops
            case .notStarted, .stopped:
                return []
            }
        }
        guard !loops.isEmpty else {
            completion(ShutdownResult(graceful: true, forciblyClosed: 0))
            return
        }
        let deadline = LinuxEventPrimitives.monotonicNanoseconds() &+ gracefulTimeout.nanoseconds
        // Each loop drains its own connections; the server has stopped when the last one has.
        let outcome = Mutex((remaining: loops.count, result: ShutdownResult(graceful: true, forciblyClosed: 0)))
        for loop in loops {
            loop.enqueue(.shutdown(deadline: deadline, completion: { [self] result in
                let finished: ShutdownResult? = outcome.withLock { o in
                    o.result.graceful = o.result.graceful && result.graceful
                    o.result.forciblyClosed += result.forciblyClosed
                    o.remaining -= 1
                    return o.remaining == 0 ? o.result : nil
                }
                guard let finished else { return }
                state.withLock { state in
                    if case .stopping(_, let a) = state { state = .stopped(a) }
                }
                completion(finished)
            }))
        }
    }

    /// The blocking form of `shutdown(gracefulTimeout:completion:)`. Must not be called from a
    /// handler on the loop thread (it would wait for itself); use the completion form there.
    @discardableResult
    public func shutdown(gracefulTimeout: Duration) -> ShutdownResult {
        for loop in currentLoops() {
            precondition(!loop.isOnLoopThread, "HTTPServer.shutdown(gracefulTimeout:) called on the event loop; use the completion form")
        }
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<ShutdownResult?>(nil)
        shutdown(gracefulTimeout: gracefulTimeout) { r in
            result.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }!
    }

    /// For the systemd watchdog: false when an event loop has not answered the previous probe
    /// (sent at the previous call). A server that is not running counts as responsive.
    public func isResponsive() -> Bool {
        var responsive = true
        // Every loop is probed, also after one failed, so that each has its next probe out.
        for loop in currentLoops() where !loop.probeResponsiveness() { responsive = false }
        return responsive
    }

    private func currentLoops() -> [HTTPEventLoop] {
        state.withLock { state in
            switch state {
            case .running(let loops, _), .stopping(let loops, _): loops
            case .notStarted, .stopped: []
            }
        }
    }

    deinit {
        // A server dropped while running must not leave its threads and sockets behind.
        if case .running(let loops, _) = state.withLock({ $0 }) {
            for loop in loops { loop.enqueue(.shutdown(deadline: 0, completion: { _ in })) }
        }
    }
}
