import Dispatch
import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// The `vonage` adapter: serves the Vonage SMS API inbound webhook (GET, form POST or JSON POST).
/// Answers `204 No Content` after the COMMIT; Vonage re-sends for 24 hours until it gets a 2xx,
/// and a re-sent message is found by its `messageId` and answered the same.
///
/// Long messages arrive as parts. Each part is acknowledged only once it is durable: the parts
/// of a group are kept in the store's checkpoint table under `concat:<sender>|<to>|<ref>` (an
/// index of waiting groups under `concat:open`), and the reassembled message is ingested when
/// the last part arrives, keyed by the first part's `messageId`. After the ingest commits, the
/// group's checkpoint is replaced by the ids of its parts, so a part re-sent even after a
/// restart is recognised. A group still incomplete after `concat_timeout` (or pushed out by
/// `max_pending_concat`) is delivered with what arrived and a marker per missing part: nothing
/// acknowledged is ever dropped. The alternative, ingesting every part as its own message,
/// would route fragments to agents; holding parts only in memory would lose acknowledged text
/// on a crash.
public final class VonageAdapter: ChannelAdapter {
    public let id: String
    let settings: VonageAdapterSettings
    let context: AdapterContext
    let endpoint: SMSWebhookEndpoint
    private let validator = Mutex<VonageSignature?>(nil)
    private let sender = Mutex<SMSOutboundSender?>(nil)
    private let assembler: Mutex<VonageConcatAssembler>
    private let timer = Mutex<TimerBox?>(nil)
    private let timerQueue: DispatchQueue

    static let openIndexKey = "concat:open"
    static func checkpointKey(_ groupKey: String) -> String { "concat:" + groupKey }

    public static let noContent = HTTPResponse(status: 204)

    final class TimerBox: @unchecked Sendable {
        let source: DispatchSourceTimer
        init(_ source: DispatchSourceTimer) { self.source = source }
    }

    public init(settings: VonageAdapterSettings, context: AdapterContext) {
        self.id = context.id
        self.settings = settings
        self.context = context
        self.endpoint = SMSWebhookEndpoint(adapterID: context.id, provider: "vonage", settings: settings.endpoint, context: context)
        self.assembler = Mutex(VonageConcatAssembler(maxGroups: settings.maxPendingConcat, timeout: settings.concatTimeout))
        self.timerQueue = DispatchQueue(label: "switchboard.vonage.\(context.id)")
    }

    public func start() throws {
        if let method = settings.signatureMethod, let reference = settings.signatureSecret {
            let secret = try reference.resolveForStart("signature_secret", adapterID: id, environment: context.environment)
            validator.withLock { $0 = VonageSignature(secret: secret, method: method, maxAge: settings.maxAge) }
        } else {
            context.logger.warning("signature_method is \"none\": unsigned Vonage webhooks are accepted from anyone who knows the URL",
                                   ["adapter": id])
        }
        if let send = settings.send, case .vonage(let key, let secretReference, let from) = send.credentials {
            let secret = try secretReference.resolveForStart("send.api_secret", adapterID: id, environment: context.environment)
            let api = VonageSMSAPI(apiKey: key, apiSecret: String(decoding: secret, as: UTF8.self), from: from,
                                   statusCallback: endpoint.statusCallbackURL(configured: send.statusCallback),
                                   baseURL: send.apiURL ?? "https://rest.nexmo.com")
            sender.withLock {
                $0 = SMSOutboundSender(api: api, client: CurlFormClient(timeout: send.timeout), maxSegments: send.maxSegments,
                                       longAnswer: send.longAnswer)
            }
        }
        restoreWaitingGroups()
        let interval = min(30.0, max(1.0, Double(settings.concatTimeout.components.seconds) / 4))
        let source = DispatchSource.makeTimerSource(queue: timerQueue)
        source.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(500))
        source.setEventHandler { [weak self] in self?.deliverExpired() }
        source.resume()
        timer.withLock { $0 = TimerBox(source) }
    }

    public func stop() {
        endpoint.stopAccepting()
        timer.withLock { box in
            box?.source.cancel()
            box = nil
        }
    }

    public var statusDetail: String {
        let waiting = assembler.withLock { $0.groups.count }
        return endpoint.statusDetail + (waiting > 0 ? "; \(waiting) long message(s) waiting for parts" : "")
    }

    public func metrics() -> [MetricFamily] {
        endpoint.metrics() + [
            .single("switchboard_sms_concat_waiting", "Long SMS waiting for their remaining parts.", .gauge,
                    Double(assembler.withLock { $0.groups.count }), labels: [("adapter", id)]),
        ]
    }

    public var outboundSender: (any OutboundSender)? { sender.withLock { $0 } }

    public func register(on router: inout HTTPRouter, listener: String) {
        guard listener == settings.endpoint.listener else { return }
        endpoint.register(on: &router, methods: ["POST", "GET"]) { [self] request, responder in handle(request, responder) }
        endpoint.register(on: &router, methods: ["POST", "GET"], path: endpoint.statusRoute) { [self] request, responder in
            handleStatus(request, responder)
        }
    }

    /// A delivery receipt (DLR) for a message we sent: signed like an inbound webhook (403 and
    /// nothing changed when the signature is wrong), applied by `client-ref` (our outbox id), else
    /// by `messageId`. Answered 204 after the COMMIT: Vonage re-sends a receipt until it gets a 2xx.
    func handleStatus(_ request: HTTPRequest, _ responder: HTTPResponder) {
        if let refusal = endpoint.precheck(request) { return responder.send(refusal) }
        let parameters: FormParameters
        switch Self.parameters(of: request) {
        case .success(let (p, _)): parameters = p
        case .failure(let error): return endpoint.rejectMalformed(error.description, responder: responder)
        }
        guard signatureHolds(parameters, request, responder) else { return }
        guard let receipt = SMSDeliveryReceipt.vonage(parameters) else {
            return endpoint.rejectMalformed("a delivery receipt needs messageId and status", responder: responder)
        }
        endpoint.applyReceipt(receipt, outboxID: parameters["client-ref"], success: Self.noContent, responder: responder)
    }

    // MARK: Requests

    /// The parameters of a request: the query for GET, the form or flat JSON body for POST.
    /// Public for the fuzz harness (`SwitchboardFuzzing`).
    public static func parameters(of request: HTTPRequest) -> Result<(FormParameters, [UInt8]), SMSWebhookError> {
        if request.method == "GET" || request.method == "HEAD" {
            let raw = Array((request.query ?? "").utf8)
            return .success((FormParameters(encoded: raw), raw))
        }
        let mediaType = WebhookBody.mediaType(request)
        if mediaType == "application/json" || mediaType.hasSuffix("+json") {
            guard let value = try? JSONParser().parse(request.body), let parameters = WebhookBody.parameters(fromJSON: value) else {
                return .failure(SMSWebhookError(field: "body", message: "is not a JSON object"))
            }
            return .success((parameters, request.body))
        }
        if mediaType == "application/x-www-form-urlencoded" || mediaType.isEmpty {
            // Some senders also put the parameters in the query of a POST: merge, body first.
            var parameters = FormParameters(encoded: request.body)
            if let query = request.query, !query.isEmpty {
                for pair in FormParameters(encoded: query) where parameters[pair.name] == nil { parameters.append(name: pair.name, value: pair.value) }
            }
            return .success((parameters, request.body))
        }
        return .failure(SMSWebhookError(field: "Content-Type", message: "must be application/x-www-form-urlencoded or application/json"))
    }

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        if let refusal = endpoint.precheck(request) { return responder.send(refusal) }
        let parameters: FormParameters
        let raw: [UInt8]
        switch Self.parameters(of: request) {
        case .success(let (p, r)):
            parameters = p
            raw = r
        case .failure(let error):
            return endpoint.rejectMalformed(error.description, responder: responder)
        }
        guard signatureHolds(parameters, request, responder) else { return }
        switch VonageInbound.parse(parameters) {
        case .failure(let error):
            endpoint.quarantine(code: "invalid_vonage_webhook", reason: error.description, raw: raw, success: Self.noContent, responder: responder)
        case .success(let inbound) where inbound.concat == nil:
            let message = inbound.message(adapterID: id, defaultRegion: settings.endpoint.defaultRegion, raw: raw)
            endpoint.ingest(message, success: Self.noContent, responder: responder)
        case .success(let inbound):
            handlePart(inbound, raw: raw, responder: responder)
        }
    }

    /// Checks `sig` when signatures are on; otherwise answers (503 before start, 403) and returns false.
    private func signatureHolds(_ parameters: FormParameters, _ request: HTTPRequest, _ responder: HTTPResponder) -> Bool {
        guard settings.signatureMethod != nil else { return true }
        guard let validator = validator.withLock({ $0 }) else {
            responder.send(endpoint.retryLater(status: 503, code: "not_started", message: "the adapter has not started"))
            return false
        }
        if case .failure(let failure) = validator.validate(parameters, now: context.now()) {
            endpoint.rejectSignature(request, code: failure.code, reason: failure.description,
                                     externalID: parameters["messageId"], responder: responder)
            return false
        }
        return true
    }

    // MARK: Long messages

    func handlePart(_ inbound: VonageInbound, raw: [UInt8], responder: HTTPResponder) {
        endpoint.counters.concatParts.add(1, ordering: .relaxed)
        let key = inbound.concatKey!
        let store = context.store
        if assembler.withLock({ $0.groups[key] == nil }) {
            // First part seen by this process: the store may know the group (a restart) or know it
            // was delivered (a part re-sent after our answer was lost).
            let stored = (try? store.checkpoint(adapterID: id, key: Self.checkpointKey(key))) ?? nil
            switch VonageConcatAssembler.decode(stored) {
            case .done(let ids) where ids.contains(inbound.messageID):
                endpoint.counters.duplicates.add(1, ordering: .relaxed)
                return responder.send(Self.noContent)
            case .waiting(let group):
                assembler.withLock { if $0.groups[key] == nil { $0.restore(group) } }
            default:
                break
            }
        }
        let (result, evicted, index) = assembler.withLock { a -> (VonageConcatAssembler.AddResult, [VonageConcatAssembler.Group], String?) in
            let before = a.groups.count
            let (result, evicted) = a.add(inbound, raw: raw, now: context.now())
            let changed = a.groups.count != before || !evicted.isEmpty
            return (result, evicted, changed ? Self.encodeIndex(a) : nil)
        }
        let group: VonageConcatAssembler.Group
        let complete: Bool
        switch result {
        case .pending(let g): (group, complete) = (g, false)
        case .complete(let g): (group, complete) = (g, true)
        }
        if let index { store.setCheckpoint(adapterID: id, key: Self.openIndexKey, value: index) { _ in } }
        store.setCheckpoint(adapterID: id, key: Self.checkpointKey(key), value: VonageConcatAssembler.encode(group)) { [self] written in
            switch written {
            case .failure(let error):
                endpoint.counters.failed.add(1, ordering: .relaxed)
                context.logger.error("could not store a message part", ["adapter": id, "external_id": inbound.messageID, "error": error.description])
                responder.send(endpoint.retryLater(status: 503, code: "store_failed", message: "the message part could not be stored"))
            case .success where complete:
                deliver(group, responder: responder)
            case .success:
                responder.send(Self.noContent)
            }
        }
        for old in evicted {
            context.logger.warning("too many long messages waiting; delivering the oldest incomplete", ["adapter": id, "missing": old.missing.map(String.init).joined(separator: ",")])
            deliver(old, responder: nil)
        }
    }

    /// Ingests a group's message; on success records it as delivered; on failure keeps it
    /// waiting (a later part or the timer tries again).
    func deliver(_ group: VonageConcatAssembler.Group, responder: HTTPResponder?) {
        let message = group.message(adapterID: id, defaultRegion: settings.endpoint.defaultRegion)
        let store = context.store
        store.ingest([message]) { [self] results in
            switch results[0] {
            case .success(let outcome):
                endpoint.counters.count(outcome)
                let index = assembler.withLock { a -> String? in
                    guard let current = a.groups[group.key], current.parts.count <= group.parts.count else { return nil }
                    a.remove(group.key)
                    return Self.encodeIndex(a)
                }
                store.setCheckpoint(adapterID: id, key: Self.checkpointKey(group.key),
                                    value: VonageConcatAssembler.encodeDone(group, messageID: message.externalID)) { _ in }
                if let index { store.setCheckpoint(adapterID: id, key: Self.openIndexKey, value: index) { _ in } }
                responder?.send(Self.noContent)
            case .failure(let error):
                endpoint.counters.failed.add(1, ordering: .relaxed)
                context.logger.error("could not store a reassembled SMS", ["adapter": id, "external_id": message.externalID, "error": error.description])
                assembler.withLock { a in if a.groups[group.key] == nil { a.restore(group) } }
                responder?.send(endpoint.retryLater(status: 503, code: "store_failed", message: "the message could not be stored"))
            }
        }
    }

    func deliverExpired() {
        let expired = assembler.withLock { $0.expired(now: context.now()) }
        for group in expired {
            context.logger.notice("long SMS incomplete after concat_timeout; delivered with what arrived",
                                  ["adapter": id, "external_id": group.partIDs.first ?? "-", "missing": group.missing.map(String.init).joined(separator: ",")])
            deliver(group, responder: nil)
        }
    }

    static func encodeIndex(_ assembler: VonageConcatAssembler) -> String {
        var w = JSONWriter(capacity: 64 + 48 * assembler.groups.count)
        w.array { w in for key in assembler.groups.keys.sorted() { w.value(key) } }
        return w.string
    }

    /// Reads the waiting groups back after a restart.
    private func restoreWaitingGroups() {
        let store = context.store
        guard let indexText = (try? store.checkpoint(adapterID: id, key: Self.openIndexKey)) ?? nil,
              case .array(let keys)? = try? JSONParser().parse(indexText) else { return }
        var restored = 0
        for case .string(let key) in keys {
            if case .waiting(let group) = VonageConcatAssembler.decode((try? store.checkpoint(adapterID: id, key: Self.checkpointKey(key))) ?? nil) {
                assembler.withLock { $0.restore(group) }
                restored += 1
            }
        }
        if restored > 0 { context.logger.info("long SMS waiting for parts restored", ["adapter": id, "groups": String(restored)]) }
    }
}
