import Dispatch
import Foundation
import Synchronization
import SwitchboardNet

/// The event stream of the agent API (Server-Sent Events): each agent's console hears its own
/// offers, assignments and revocations; a supervisor's stream (the local socket's `/v1/events`)
/// hears everything. Events carry an increasing id; a comment line every `keepAlive` keeps
/// proxies from closing quiet streams and finds dead clients.
/// `@unchecked Sendable`: the keep-alive timer is set once in `init` and only cancelled in `deinit`.
final class AgentEventHub: @unchecked Sendable {
    private struct Subscriber {
        /// nil for a supervisor stream (every event).
        var agent: String?
        var writer: HTTPStreamWriter
    }
    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 1
        var eventID = 0
    }
    private let state = Mutex(State())
    private let keepAliveTimer: DispatchSourceTimer
    /// The most streams open at once: a console that reconnects in a loop cannot exhaust memory.
    let limit: Int

    init(keepAlive: Duration = .seconds(15), limit: Int = 1000) {
        self.limit = limit
        keepAliveTimer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "switchboard.events.keepalive"))
        let interval = Int(keepAlive.components.seconds)
        keepAliveTimer.schedule(deadline: .now() + .seconds(interval), repeating: .seconds(interval))
        keepAliveTimer.setEventHandler { [weak self] in self?.sendKeepAlive() }
        keepAliveTimer.resume()
    }

    deinit { keepAliveTimer.cancel() }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Opens a stream on `responder` for an agent (or every event when `agent` is nil); false
    /// when the limit is reached (the caller answers 503).
    func subscribe(agent: String?, responder: HTTPResponder, greeting: [UInt8]) -> Bool {
        let id: Int? = state.withLock { state in
            guard state.subscribers.count < limit else { return nil }
            defer { state.nextID += 1 }
            return state.nextID
        }
        guard let id else { return false }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream; charset=utf-8")
        headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        let writer = responder.startStream(headers: headers) { [weak self] in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        state.withLock { $0.subscribers[id] = Subscriber(agent: agent, writer: writer) }
        writer.write(Self.frame(event: "hello", id: nil, json: greeting))
        return true
    }

    /// Sends an event to the agent's streams and to every supervisor stream.
    func publish(agent: String?, event: String, json: [UInt8]) {
        let (targets, eventID): ([HTTPStreamWriter], Int) = state.withLock { state in
            state.eventID += 1
            let writers = state.subscribers.values.filter { $0.agent == nil || ($0.agent == agent && agent != nil) }.map(\.writer)
            return (writers, state.eventID)
        }
        guard !targets.isEmpty else { return }
        let frame = Self.frame(event: event, id: eventID, json: json)
        for writer in targets { writer.write(frame) }
    }

    func closeAll() {
        let writers = state.withLock { state -> [HTTPStreamWriter] in
            defer { state.subscribers.removeAll() }
            return state.subscribers.values.map(\.writer)
        }
        for writer in writers { writer.finish() }
    }

    private func sendKeepAlive() {
        let writers = state.withLock { state -> [HTTPStreamWriter] in
            state.subscribers = state.subscribers.filter { $0.value.writer.isOpen }
            return state.subscribers.values.map(\.writer)
        }
        let comment = Array(": keep-alive\n\n".utf8)
        for writer in writers { writer.write(comment) }
    }

    /// One SSE frame. The JSON is one line (JSONWriter never writes newlines), so one `data:`.
    static func frame(event: String, id: Int?, json: [UInt8]) -> [UInt8] {
        var out = Array("event: \(event)\n".utf8)
        if let id { out += Array("id: \(id)\n".utf8) }
        out += Array("data: ".utf8)
        out += json
        out += Array("\n\n".utf8)
        return out
    }
}
