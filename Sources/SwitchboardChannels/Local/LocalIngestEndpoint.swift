import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// `POST /v1/messages` and `POST /v1/messages:batch` on a Unix listener: the local socket that
/// in-house adapters post to. One endpoint serves every `local` adapter configured on its
/// listener; the body's `adapter` field picks one (optional when there is only one).
///
/// The answer is sent from the thread that runs the store's completions, after the COMMIT and
/// its fsync: acknowledgement after
/// commit is the whole contract. Over the backlog budget the endpoint answers 503 with
/// Retry-After before parsing, so a flood costs little and memory stays bounded.
public final class LocalIngestEndpoint: Sendable {
    public struct Limits: Sendable {
        public var backlogBudget: Int
        public var retryAfterSeconds: Int
        public var maxBatch: Int
        public init(backlogBudget: Int, retryAfterSeconds: Int, maxBatch: Int = 1000) {
            self.backlogBudget = backlogBudget
            self.retryAfterSeconds = retryAfterSeconds
            self.maxBatch = maxBatch
        }
    }

    struct Adapter: Sendable {
        var decoder: LocalMessageDecoder
        var maxBody: Int
    }

    private struct State: Sendable {
        var adapters: [String: Adapter] = [:]
        var limits: Limits
        var accepting = true
    }

    private let store: Store
    private let logger: Logger
    private let state: Mutex<State>
    private let counters = Counters()

    final class Counters: Sendable {
        let accepted = Atomic<Int>(0)
        let duplicates = Atomic<Int>(0)
        let rejected = Atomic<Int>(0)
        let overloaded = Atomic<Int>(0)
        let failed = Atomic<Int>(0)

        func count(_ outcome: IngestOutcome) {
            if outcome.duplicate { duplicates.add(1, ordering: .relaxed) } else { accepted.add(1, ordering: .relaxed) }
        }
    }

    public init(store: Store, limits: Limits, logger: Logger) {
        self.store = store
        self.logger = logger
        self.state = Mutex(State(limits: limits))
    }

    /// Replaces the set of local adapters served here (at start and on reload).
    public func configure(adapters: [(id: String, settings: LocalAdapterSettings)], limits: Limits) {
        var table: [String: Adapter] = [:]
        for (id, settings) in adapters {
            table[id] = Adapter(decoder: LocalMessageDecoder(adapterID: id, defaultChannel: settings.defaultChannel,
                                                             allowedChannels: Set(settings.channels)),
                                maxBody: settings.maxBody)
        }
        state.withLock {
            $0.adapters = table
            $0.limits = limits
        }
    }

    /// Answer 503 to new posts from now on (shutdown); posts already handed to the store complete.
    public func stopAccepting() { state.withLock { $0.accepting = false } }

    public var adapterIDs: [String] { state.withLock { $0.adapters.keys.sorted() } }

    public func register(on router: inout HTTPRouter) {
        router.add("POST", "/v1/messages") { [self] request, responder in handleSingle(request, responder) }
        router.add("POST", "/v1/messages:batch") { [self] request, responder in handleBatch(request, responder) }
    }

    // MARK: - Handlers

    func handleSingle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let (adapters, limits, accepting) = state.withLock { ($0.adapters, $0.limits, $0.accepting) }
        if let refusal = precheck(request, incoming: 1, limits: limits, accepting: accepting) {
            responder.send(refusal)
            return
        }
        let value: JSONValue
        do {
            value = try JSONParser().parse(request.body)
        } catch {
            counters.rejected.add(1, ordering: .relaxed)
            responder.send(.jsonError(status: 400, code: "invalid_json", message: "the body is not valid JSON: \(error)",
                                      hint: "check the JSON syntax at the position given"))
            return
        }
        switch decode(value, raw: request.body, adapters: adapters, bodySize: request.body.count) {
        case .failure(let error):
            counters.rejected.add(1, ordering: .relaxed)
            responder.send(Self.errorResponse(error, status: error.code == "body_too_large" ? 413 : 400))
        case .success(let message):
            store.ingest([message]) { [counters, logger] results in
                switch results[0] {
                case .success(let outcome):
                    counters.count(outcome)
                    responder.send(.json(Self.outcomeJSON(outcome), status: outcome.duplicate ? 200 : 202))
                case .failure(let error):
                    counters.failed.add(1, ordering: .relaxed)
                    logger.error("could not store a posted message", ["adapter": message.adapterID, "external_id": message.externalID, "error": "\(error)"])
                    responder.send(Self.storeFailure(error, retryAfter: limits.retryAfterSeconds))
                }
            }
        }
    }

    func handleBatch(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let (adapters, limits, accepting) = state.withLock { ($0.adapters, $0.limits, $0.accepting) }
        if let refusal = precheck(request, incoming: 1, limits: limits, accepting: accepting) {
            responder.send(refusal)
            return
        }
        let value: JSONValue
        do {
            value = try JSONParser().parse(request.body)
        } catch {
            responder.send(.jsonError(status: 400, code: "invalid_json", message: "the body is not valid JSON: \(error)",
                                      hint: "check the JSON syntax at the position given"))
            return
        }
        guard case .object(let object) = value, case .array(let items)? = object["messages"] else {
            responder.send(.jsonError(status: 400, code: "invalid_body", message: "the body must be an object with a 'messages' array",
                                      hint: "{\"messages\":[{…},{…}]}", field: "messages"))
            return
        }
        if let extra = object.keys.first(where: { $0 != "messages" }) {
            responder.send(.jsonError(status: 400, code: "unknown_field", message: "unknown field", hint: "a batch has only 'messages'", field: extra))
            return
        }
        guard items.count <= limits.maxBatch else {
            responder.send(.jsonError(status: 413, code: "batch_too_large", message: "a batch holds at most \(limits.maxBatch) messages, this one has \(items.count)",
                                      hint: "split it", field: "messages"))
            return
        }
        if store.pendingCount + items.count > limits.backlogBudget {
            counters.overloaded.add(1, ordering: .relaxed)
            responder.send(overloaded(limits))
            return
        }
        // Each item keeps its place in the answer; decoding errors are answered in place.
        var slots: [Result<Int, FieldError>] = []
        var messages: [InboundMessage] = []
        slots.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            // Each item's raw bytes are its own canonical JSON, so a stored message never carries its neighbours.
            var writer = JSONWriter(capacity: 512)
            writer.value(item)
            switch decode(item, raw: writer.bytes, adapters: adapters, bodySize: nil) {
            case .success(let message):
                slots.append(.success(messages.count))
                messages.append(message)
            case .failure(let error):
                counters.rejected.add(1, ordering: .relaxed)
                slots.append(.failure(error.prefixed("messages[\(index)]")))
            }
        }
        let slotsInOrder = slots
        let finish: @Sendable ([Result<IngestOutcome, StoreError>]) -> Void = { [counters] results in
            let slots = slotsInOrder
            var writer = JSONWriter(capacity: 128 * slots.count + 16)
            writer.object { w in
                w.field("results", array: { w in
                    for slot in slots {
                        switch slot {
                        case .failure(let error):
                            w.object { w in
                                w.field("status", 400)
                                w.field("error", object: { Self.writeError(error, into: &$0) })
                            }
                        case .success(let position):
                            switch results[position] {
                            case .success(let outcome):
                                counters.count(outcome)
                                w.object { w in
                                    w.field("status", outcome.duplicate ? 200 : 202)
                                    Self.writeOutcome(outcome, into: &w)
                                }
                            case .failure(let error):
                                counters.failed.add(1, ordering: .relaxed)
                                w.object { w in
                                    w.field("status", 503)
                                    w.field("error", object: { w in
                                        w.field("code", "store_failed")
                                        w.field("message", error.description)
                                    })
                                }
                            }
                        }
                    }
                })
            }
            responder.send(.json(writer.bytes, status: 200))
        }
        if messages.isEmpty { finish([]) } else { store.ingest(messages, completion: finish) }
    }

    // MARK: - Pieces

    private func precheck(_ request: HTTPRequest, incoming: Int, limits: Limits, accepting: Bool) -> HTTPResponse? {
        guard accepting else {
            var response = HTTPResponse.jsonError(status: 503, code: "shutting_down", message: "the daemon is stopping",
                                                  hint: "retry after it has restarted")
            response.headers.replaceOrAdd(name: "Retry-After", value: String(limits.retryAfterSeconds))
            return response
        }
        let contentType = request.headers["Content-Type"] ?? ""
        guard Self.isJSON(contentType) else {
            return .jsonError(status: 415, code: "unsupported_media_type",
                              message: contentType.isEmpty ? "no Content-Type header" : "Content-Type '\(contentType)' is not JSON",
                              hint: "send -H 'Content-Type: application/json'")
        }
        if store.pendingCount + incoming > limits.backlogBudget {
            counters.overloaded.add(1, ordering: .relaxed)
            return overloaded(limits)
        }
        return nil
    }

    /// Whether a Content-Type names `application/json` (any case, parameters after `;` ignored),
    /// without Foundation's string trimming: this runs for every posted message.
    static func isJSON(_ contentType: String) -> Bool {
        var mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        while let first = mediaType.first, first == 0x20 || first == 0x09 { mediaType.removeFirst() }
        while let last = mediaType.last, last == 0x20 || last == 0x09 { mediaType.removeLast() }
        let expected = "application/json".utf8
        guard mediaType.count == expected.count else { return false }
        return zip(mediaType, expected).allSatisfy { a, b in (a >= 0x41 && a <= 0x5A ? a | 0x20 : a) == b }
    }

    private func overloaded(_ limits: Limits) -> HTTPResponse {
        var response = HTTPResponse.jsonError(status: 503, code: "backlog_full",
                                              message: "more messages are waiting to be stored than the backlog budget (\(limits.backlogBudget))",
                                              hint: "retry after Retry-After seconds with the same id")
        response.headers.replaceOrAdd(name: "Retry-After", value: String(limits.retryAfterSeconds))
        return response
    }

    private func decode(_ value: JSONValue, raw: [UInt8], adapters: [String: Adapter], bodySize: Int?) -> Result<InboundMessage, FieldError> {
        let adapter: Adapter
        if case .string(let name)? = value["adapter"] {
            guard let named = adapters[name] else {
                return .failure(FieldError(field: "adapter", code: "unknown_adapter", message: "no local adapter '\(name)' is configured",
                                           hint: "configured: \(adapters.keys.sorted().joined(separator: ", "))"))
            }
            adapter = named
        } else if let value = value["adapter"], !value.isNull {
            return .failure(FieldError(field: "adapter", message: "must be a string, found \(value.typeName)"))
        } else if adapters.count == 1, let only = adapters.values.first {
            adapter = only
        } else if adapters.isEmpty {
            return .failure(FieldError(field: nil, code: "no_adapter", message: "no local adapter is enabled on this socket",
                                       hint: "add one with \"type\": \"local\" to adapters.json"))
        } else {
            return .failure(FieldError(field: "adapter", code: "missing_field", message: "is required when several local adapters are configured",
                                       hint: "one of: \(adapters.keys.sorted().joined(separator: ", "))"))
        }
        if let bodySize, bodySize > adapter.maxBody {
            return .failure(FieldError(field: nil, code: "body_too_large", message: "the body is \(bodySize) bytes; adapter '\(adapter.decoder.adapterID)' takes at most \(adapter.maxBody)",
                                       hint: "raise max_body for this adapter in adapters.json or send less"))
        }
        return adapter.decoder.decode(value, raw: raw)
    }

    static func errorResponse(_ error: FieldError, status: Int) -> HTTPResponse {
        var writer = JSONWriter(capacity: 256)
        writer.object { w in w.field("error", object: { writeError(error, into: &$0) }) }
        return .json(writer.bytes, status: status)
    }

    static func writeError(_ error: FieldError, into w: inout JSONWriter) {
        w.field("code", error.code)
        w.fieldIfPresent("field", error.field)
        w.field("message", error.field.map { "\($0): \(error.message)" } ?? error.message)
        w.fieldIfPresent("hint", error.hint)
    }

    static func writeOutcome(_ outcome: IngestOutcome, into w: inout JSONWriter) {
        w.field("id", outcome.messageID)
        w.field("contact", outcome.contactID)
        w.field("conversation", outcome.conversationID)
        w.field("duplicate", outcome.duplicate)
    }

    static func outcomeJSON(_ outcome: IngestOutcome) -> [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.object { writeOutcome(outcome, into: &$0) }
        return writer.bytes
    }

    static func storeFailure(_ error: StoreError, retryAfter: Int) -> HTTPResponse {
        var response = HTTPResponse.jsonError(status: 503, code: "store_failed", message: "the message could not be stored: \(error.message)",
                                              hint: error.hint ?? "nothing was stored; retry with the same id")
        response.headers.replaceOrAdd(name: "Retry-After", value: String(retryAfter))
        return response
    }

    /// Prometheus families for this endpoint.
    public func metrics() -> [MetricFamily] {
        [
            MetricFamily(name: "switchboard_local_posts_total", help: "Messages posted to the local socket, by outcome.", kind: .counter, samples: [
                .init(labels: [("outcome", "accepted")], value: Double(counters.accepted.load(ordering: .relaxed))),
                .init(labels: [("outcome", "duplicate")], value: Double(counters.duplicates.load(ordering: .relaxed))),
                .init(labels: [("outcome", "rejected")], value: Double(counters.rejected.load(ordering: .relaxed))),
                .init(labels: [("outcome", "overloaded")], value: Double(counters.overloaded.load(ordering: .relaxed))),
                .init(labels: [("outcome", "failed")], value: Double(counters.failed.load(ordering: .relaxed))),
            ]),
        ]
    }
}
