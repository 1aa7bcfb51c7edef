import Dispatch
import Glibc

/// The process signals the daemon acts on, delivered as values on one serial queue so that the
/// lifecycle code reads as a plain `switch` (SIGTERM/SIGINT drain and exit, SIGHUP reloads).
public enum ProcessSignal: Sendable, Hashable, CustomStringConvertible {
    case terminate, interrupt, hangup

    var number: Int32 {
        switch self {
        case .terminate: SIGTERM
        case .interrupt: SIGINT
        case .hangup: SIGHUP
        }
    }

    public var description: String {
        switch self {
        case .terminate: "SIGTERM"
        case .interrupt: "SIGINT"
        case .hangup: "SIGHUP"
        }
    }
}

/// Installs Dispatch signal sources; the default disposition of each signal is set to ignore so
/// that only the handler sees it. Keep the listener alive as long as signals should be handled.
public final class SignalListener: @unchecked Sendable {
    private let queue = DispatchQueue(label: "switchboard.signals")
    private var sources: [any DispatchSourceSignal] = []

    public init(_ signals: [ProcessSignal], handler: @escaping @Sendable (ProcessSignal) -> Void) {
        // SIGPIPE would kill the process when a client goes away mid-write; sockets use MSG_NOSIGNAL
        // where they can, and this covers the rest.
        signal(SIGPIPE, SIG_IGN)
        for sig in signals {
            signal(sig.number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig.number, queue: queue)
            source.setEventHandler { handler(sig) }
            source.resume()
            sources.append(source)
        }
    }

    deinit { cancel() }

    public func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
    }
}
