import Dispatch
import Foundation
import Synchronization
import SwitchboardCore

/// The HTTP/1.1 server behind every listener of the daemon: the agent and admin API on the local
/// Unix socket, webhooks and the dashboard on TCP. One epoll event loop on its own thread serves
/// all listeners; handlers run on that thread and may answer later from any thread.
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
        case running(HTTPEventLoop, [BoundAddress])
        case stopping(HTTPEventLoop, [BoundAddress])
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
            let loop: HTTPEventLoop
            do {
                loop = try HTTPEventLoop(configuration: configuration, handler: handler, counters: counters, listeners: sockets)
            } catch {
                sockets.forEach { $0.close() }
                throw error
            }
            let thread = Thread {
                ThreadName.setCurrent("http-loop")
                loop.run()
            }
            thread.name = "switchboard-http"
            thread.start()
            let addresses = sockets.map(\.address)
            state = .running(loop, addresses)
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
        if let loop = currentLoop() { loop.enqueue(.stopAccepting) }
    }

    /// Stops accepting, closes idle connections, lets requests in progress finish and their
    /// responses go out (with `Connection: close`), ends open streams, then stops the loop.
    /// Connections still open after `gracefulTimeout` are closed. `completion` runs once, on the
    /// loop thread or the caller's.
    public func shutdown(gracefulTimeout: Duration, completion: @escaping @Sendable (ShutdownResult) -> Void) {
        let loop: HTTPEventLoop? = state.withLock { state in
            switch state {
            case .running(let loop, let a):
                state = .stopping(loop, a)
                return loop
            case .stopping(let loop, _):
                return loop
            case .notStarted, .stopped:
                return nil
            }
        }
        guard let loop else {
            completion(ShutdownResult(graceful: true, forciblyClosed: 0))
            return
        }
        let deadline = LinuxEventPrimitives.monotonicNanoseconds() &+ gracefulTimeout.nanoseconds
        loop.enqueue(.shutdown(deadline: deadline, completion: { [self] result in
            state.withLock { state in
                if case .stopping(_, let a) = state { state = .stopped(a) }
            }
            completion(result)
        }))
    }

    /// The blocking form of `shutdown(gracefulTimeout:completion:)`. Must not be called from a
    /// handler on the loop thread (it would wait for itself); use the completion form there.
    @discardableResult
    public func shutdown(gracefulTimeout: Duration) -> ShutdownResult {
        if let loop = currentLoop() {
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

    /// For the systemd watchdog: false when the event loop has not answered the previous probe
    /// (sent at the previous call). A server that is not running counts as responsive.
    public func isResponsive() -> Bool {
        guard let loop = currentLoop() else { return true }
        return loop.probeResponsiveness()
    }

    private func currentLoop() -> HTTPEventLoop? {
        state.withLock { state in
            switch state {
            case .running(let loop, _), .stopping(let loop, _): loop
            case .notStarted, .stopped: nil
            }
        }
    }

    deinit {
        // A server dropped while running must not leave its thread and sockets behind.
        if case .running(let loop, _) = state.withLock({ $0 }) {
            loop.enqueue(.shutdown(deadline: 0, completion: { _ in }))
        }
    }
}
