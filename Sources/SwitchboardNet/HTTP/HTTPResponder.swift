import Synchronization

/// What a responder made with a closure (tests, in-process callers) receives.
public enum HTTPResponderEvent: Sendable, Equatable {
    case response(HTTPResponse)
    case streamStarted(status: Int, headers: HTTPHeaders)
    case streamData([UInt8])
    case streamFinished
}

/// Answers one request. `send` (or `startStream`) is called exactly once, from any thread, at
/// any later time: a handler may pass the responder to the store and answer after the commit.
/// Later calls are ignored. A responder released without an answer sends a 500, so a handler
/// bug never leaves a client hanging.
public final class HTTPResponder: Sendable {
    enum Sink: Sendable {
        case loop(HTTPEventLoop, HTTPConnectionRef)
        case callback(@Sendable (HTTPResponderEvent) -> Void)
    }

    private let sink: Sink
    private let answered = Atomic<Bool>(false)

    init(loop: HTTPEventLoop, ref: HTTPConnectionRef) {
        sink = .loop(loop, ref)
    }

    /// A responder that hands what it is given to `onEvent`, for tests and in-process callers
    /// of a handler (no server needed).
    public init(_ onEvent: @escaping @Sendable (HTTPResponderEvent) -> Void) {
        sink = .callback(onEvent)
    }

    /// Whether `send` or `startStream` has been called.
    public var hasResponded: Bool { answered.load(ordering: .acquiring) }

    /// Sends the response. Only the first call on a responder has an effect.
    public func send(_ response: HTTPResponse) {
        guard !answered.exchange(true, ordering: .acquiringAndReleasing) else { return }
        deliver(response)
    }

    /// Starts a streaming response (Server-Sent Events, long downloads), sent with chunked
    /// encoding. Instead of `send`, not in addition to it. `onClose` runs once if the stream
    /// ends without `finish()`: the client went away or the server is shutting down.
    public func startStream(status: Int = 200, headers: HTTPHeaders = [:],
                            onClose: (@Sendable () -> Void)? = nil) -> HTTPStreamWriter {
        guard !answered.exchange(true, ordering: .acquiringAndReleasing) else {
            return HTTPStreamWriter(closed: ())
        }
        switch sink {
        case .loop(let loop, let ref):
            let writer = HTTPStreamWriter(sink: .loop(loop, ref), onClose: onClose)
            loop.enqueue(.startStream(ref, status: status, headers: headers, writer: writer))
            return writer
        case .callback(let onEvent):
            onEvent(.streamStarted(status: status, headers: headers))
            return HTTPStreamWriter(sink: .callback(onEvent), onClose: onClose)
        }
    }

    private func deliver(_ response: HTTPResponse) {
        switch sink {
        case .loop(let loop, let ref): loop.respond(ref, response)
        case .callback(let onEvent): onEvent(.response(response))
        }
    }

    deinit {
        if !answered.load(ordering: .acquiring) {
            deliver(HTTPResponse.jsonError(status: 500, code: "internal_error",
                                           message: "the request handler finished without a response"))
            if case .loop(let loop, _) = sink { loop.noteUnansweredRequest() }
        }
    }
}

/// The open end of a streaming response. `write` and `finish` may be called from any thread;
/// calls from one thread are sent in order. Bytes go out as chunks; a client that reads too
/// slowly (more than `maxPendingOutputBytes` waiting) is disconnected and the writer closes.
public final class HTTPStreamWriter: Sendable {
    enum Sink: Sendable {
        case loop(HTTPEventLoop, HTTPConnectionRef)
        case callback(@Sendable (HTTPResponderEvent) -> Void)
        case none
    }

    private let sink: Sink
    private let open: Atomic<Bool>
    private let onClose: Mutex<(@Sendable () -> Void)?>

    init(sink: Sink, onClose: (@Sendable () -> Void)?) {
        self.sink = sink
        self.open = Atomic(true)
        self.onClose = Mutex(onClose)
    }

    init(closed: Void) {
        sink = .none
        open = Atomic(false)
        onClose = Mutex(nil)
    }

    /// False once finished, or once the connection has closed.
    public var isOpen: Bool { open.load(ordering: .acquiring) }

    public func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty, isOpen else { return }
        switch sink {
        case .loop(let loop, let ref): loop.enqueue(.streamWrite(ref, bytes))
        case .callback(let onEvent): onEvent(.streamData(bytes))
        case .none: break
        }
    }

    public func write(_ text: String) { write(Array(text.utf8)) }

    /// Ends the response; the connection then serves its next request.
    public func finish() {
        guard open.exchange(false, ordering: .acquiringAndReleasing) else { return }
        onClose.withLock { $0 = nil }
        switch sink {
        case .loop(let loop, let ref): loop.enqueue(.streamFinish(ref))
        case .callback(let onEvent): onEvent(.streamFinished)
        case .none: break
        }
    }

    /// Called by the server when the stream ends without `finish()`.
    func closedByServer() {
        guard open.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let callback = onClose.withLock { c -> (@Sendable () -> Void)? in
            defer { c = nil }
            return c
        }
        callback?()
    }
}
