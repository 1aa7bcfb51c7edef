import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// What every inbound SMS webhook does around its provider-specific part: limits before any
/// work (rate per client, body size, store backlog), the 403 for a bad signature (counted,
/// logged without the body), the hand-off to the store's group commit, the answer after the
/// COMMIT (the same answer for a duplicate), and the metrics.
public final class SMSWebhookEndpoint: Sendable {
    public let adapterID: String
    public let provider: String
    let settings: WebhookEndpointSettings
    let store: Store
    let logger: Logger
    let proxies: TrustedProxies
    /// The listener's `public_url` (a base URL), when configured.
    let listenerPublicURL: String?
    let limiter: ClientRateLimiter?
    let counters = Counters()
    private let accepting = Atomic<Bool>(true)

    final class Counters: Sendable {
        let accepted = Atomic<Int>(0)
        let duplicates = Atomic<Int>(0)
        let invalid = Atomic<Int>(0)
        let quarantined = Atomic<Int>(0)
        let rateLimited = Atomic<Int>(0)
        let overloaded = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let concatParts = Atomic<Int>(0)
        let optOuts = Atomic<Int>(0)
        let optIns = Atomic<Int>(0)
        let receiptsApplied = Atomic<Int>(0)
        let receiptsIgnored = Atomic<Int>(0)
        let receiptsParked = Atomic<Int>(0)
        let signatureFailures = Mutex<[String: Int]>([:])

        func count(_ outcome: IngestOutcome) {
            if outcome.duplicate { duplicates.add(1, ordering: .relaxed) } else { accepted.add(1, ordering: .relaxed) }
        }
    }

    init(adapterID: String, provider: String, settings: WebhookEndpointSettings, context: AdapterContext) {
        self.adapterID = adapterID
        self.provider = provider
        self.settings = settings
        self.store = context.store
        self.logger = context.logger
        self.proxies = TrustedProxies(context.trustedProxies[settings.listener] ?? [])
        self.listenerPublicURL = context.listenerPublicURLs[settings.listener]
        self.limiter = settings.rateLimit.map { ClientRateLimiter(rate: $0.perSecond, burst: $0.burst) }
    }

    var route: String { settings.route(adapterID: adapterID) }
    /// Where the provider reports the delivery of what we sent: the webhook's path plus `/status`.
    var statusRoute: String { route + "/status" }

    /// The URL given to the provider for delivery receipts: `send.status_callback`, else the
    /// adapter's `public_url` plus `/status`, else the listener's `public_url` plus the status
    /// route; nil when none is known (then no receipts are asked for).
    func statusCallbackURL(configured: String?) -> String? {
        if let configured { return configured }
        if let exact = settings.publicURL { return exact + "/status" }
        guard var base = listenerPublicURL else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        return base + statusRoute
    }

    func stopAccepting() { accepting.store(false, ordering: .relaxed) }

    /// Registers `handler` for `methods` on the route, unless another adapter already took the
    /// same route on this listener (logged; the daemon keeps running).
    func register(on router: inout HTTPRouter, methods: [String], path: String? = nil, handler: @escaping HTTPHandler) {
        let route = path ?? self.route
        for method in methods {
            if case .found(let pattern, _) = router.match(method: method, path: route), pattern == route {
                logger.error("route already taken on this listener; this adapter's webhook is not served there",
                             ["adapter": adapterID, "listener": settings.listener, "route": "\(method) \(route)"])
                continue
            }
            router.add(method, route, handler)
        }
    }

    // MARK: Before parsing

    /// 429 / 413 / 503 answers that cost nothing to give, or nil to go on.
    func precheck(_ request: HTTPRequest) -> HTTPResponse? {
        guard accepting.load(ordering: .relaxed) else {
            return retryLater(status: 503, code: "shutting_down", message: "the adapter is stopping")
        }
        if let limiter {
            let client = request.forwardedInfo(trusting: proxies).clientAddress
            if case .limited(let seconds) = limiter.take(client) {
                counters.rateLimited.add(1, ordering: .relaxed)
                var response = HTTPResponse.jsonError(status: 429, code: "rate_limited",
                                                      message: "too many requests from this address", hint: "retry after Retry-After seconds")
                response.headers.replaceOrAdd(name: "Retry-After", value: String(seconds))
                return response
            }
        }
        if request.body.count > settings.maxBody {
            counters.invalid.add(1, ordering: .relaxed)
            return .jsonError(status: 413, code: "body_too_large", message: "the body is larger than \(settings.maxBody) bytes")
        }
        if store.pendingCount >= settings.backlogBudget {
            counters.overloaded.add(1, ordering: .relaxed)
            return retryLater(status: 503, code: "backlog_full", message: "more messages are waiting to be stored than the backlog budget")
        }
        return nil
    }

    func retryLater(status: Int, code: String, message: String) -> HTTPResponse {
        var response = HTTPResponse.jsonError(status: status, code: code, message: message, hint: "retry after Retry-After seconds")
        response.headers.replaceOrAdd(name: "Retry-After", value: String(max(1, Int(settings.retryAfter.components.seconds))))
        return response
    }

    /// The URL the provider called, for signatures over it: the adapter's `public_url` (plus the
    /// query as sent), else the listener's `public_url` plus the target, else scheme and host
    /// from a trusted proxy, else `http://` + Host.
    func externalURL(_ request: HTTPRequest, suffix: String = "") -> String {
        if let configured = settings.publicURL {
            let exact = configured + suffix
            guard let query = request.query else { return exact }
            return exact + "?" + query
        }
        return request.externalURL(trusting: proxies, publicBaseURL: listenerPublicURL)
    }

    // MARK: Refusals

    /// 403, counted by reason, and one log line with ids and the reason: never the body, the
    /// query (a GET webhook carries the text there) or the signature.
    func rejectSignature(_ request: HTTPRequest, code: String, reason: String, externalID: String? = nil,
                         responder: HTTPResponder) {
        counters.signatureFailures.withLock { $0[code, default: 0] += 1 }
        logger.warning("webhook signature check failed; nothing stored",
                       ["adapter": adapterID, "reason": reason, "peer": request.forwardedInfo(trusting: proxies).clientAddress,
                        "path": request.path, "external_id": externalID.map { String($0.prefix(64)) } ?? "-"])
        responder.send(.jsonError(status: 403, code: "bad_signature", message: "the request signature is missing or wrong"))
    }

    /// 400 for a request that cannot be read at all (not form, not JSON).
    func rejectMalformed(_ message: String, responder: HTTPResponder) {
        counters.invalid.add(1, ordering: .relaxed)
        responder.send(.jsonError(status: 400, code: "invalid_request", message: message))
    }

    // MARK: Storing

    /// Stores the message and answers `success` after the COMMIT (also for a duplicate: a
    /// provider re-sending gets the same answer); 503 with Retry-After when the store fails.
    func ingest(_ message: InboundMessage, success: HTTPResponse, responder: HTTPResponder) {
        let keyword = message.contactAttributes[SMSKeyword.optOutAttribute]
        store.ingest([message]) { [counters, logger, adapterID] results in
            switch results[0] {
            case .success(let outcome):
                counters.count(outcome)
                if !outcome.duplicate {
                    if keyword == "true" { counters.optOuts.add(1, ordering: .relaxed) }
                    if keyword == "false" { counters.optIns.add(1, ordering: .relaxed) }
                }
                responder.send(success)
            case .failure(let error):
                counters.failed.add(1, ordering: .relaxed)
                logger.error("could not store an SMS", ["adapter": adapterID, "external_id": message.externalID, "error": error.description])
                if error.isRetryable {
                    responder.send(self.retryLater(status: 503, code: "store_failed", message: "the message could not be stored"))
                } else {
                    self.quarantine(code: "store_refused", reason: error.message, raw: message.raw, success: success, responder: responder)
                }
            }
        }
    }

    /// Keeps a signed request that cannot become a message (no message id, ...) with its error
    /// and raw bytes, and answers `success` after the commit: the provider must not re-send
    /// poison for a day, and nothing acknowledged is lost.
    func quarantine(code: String, reason: String, raw: [UInt8], success: HTTPResponse, responder: HTTPResponder) {
        store.quarantine(adapterID: adapterID, errorCode: code, errorMessage: reason, raw: raw) { [counters, logger, adapterID] result in
            switch result {
            case .success(let id):
                counters.quarantined.add(1, ordering: .relaxed)
                logger.warning("signed webhook could not be read; quarantined", ["adapter": adapterID, "quarantine_id": id, "reason": reason])
                responder.send(success)
            case .failure(let error):
                counters.failed.add(1, ordering: .relaxed)
                logger.error("could not quarantine a webhook", ["adapter": adapterID, "error": error.description])
                responder.send(self.retryLater(status: 503, code: "store_failed", message: "the request could not be stored"))
            }
        }
    }

    // MARK: Delivery receipts

    /// Applies a signed delivery receipt to the outbox row it names (or keeps it until the send it
    /// reports is recorded: a provider may call back before answering the send) and answers `success` after
    /// the COMMIT (503 when the store fails, so that the provider sends it again). States that are
    /// not final (queued, sent) change nothing and are answered at once.
    func applyReceipt(_ receipt: SMSDeliveryReceipt, outboxID: String?, success: HTTPResponse, responder: HTTPResponder) {
        let outcome: OutboxReceipt.Outcome
        switch receipt.state {
        case .delivered: outcome = .delivered
        case .undelivered, .failed: outcome = .failed
        case .queued, .sent, .unknown:
            counters.receiptsIgnored.add(1, ordering: .relaxed)
            return responder.send(success)
        }
        let detail = "\(provider) status \(receipt.providerStatus)" + (receipt.errorCode.map { ", error \($0)" } ?? "")
        let update = OutboxReceipt(adapterID: adapterID, providerID: receipt.providerMessageID,
                                   outboxID: outboxID.flatMap { SortableID.isWellFormed($0, prefix: "ob") ? $0 : nil },
                                   outcome: outcome, detail: detail)
        store.applyOutboxReceipt(update) { [counters, logger, adapterID] result in
            switch result {
            case .success(let outcome):
                switch outcome {
                case .applied(let outboxID):
                    counters.receiptsApplied.add(1, ordering: .relaxed)
                    logger.info("delivery receipt", ["adapter": adapterID, "provider_id": receipt.providerMessageID,
                                                     "status": receipt.providerStatus, "outbox_id": outboxID])
                case .parked(let dropped):
                    counters.receiptsParked.add(1, ordering: .relaxed)
                    logger.info("delivery receipt before its send was recorded; kept until it is",
                                ["adapter": adapterID, "provider_id": receipt.providerMessageID, "status": receipt.providerStatus,
                                 "dropped_oldest": String(dropped)])
                case .ignored:
                    counters.receiptsIgnored.add(1, ordering: .relaxed)
                    logger.info("delivery receipt", ["adapter": adapterID, "provider_id": receipt.providerMessageID,
                                                     "status": receipt.providerStatus, "outbox_id": "-"])
                }
                responder.send(success)
            case .failure(let error):
                counters.failed.add(1, ordering: .relaxed)
                logger.error("could not record a delivery receipt", ["adapter": adapterID, "error": error.description])
                responder.send(self.retryLater(status: 503, code: "store_failed", message: "the receipt could not be stored"))
            }
        }
    }

    // MARK: Metrics

    public func metrics() -> [MetricFamily] {
        let a = ("adapter", adapterID)
        let p = ("provider", provider)
        func sample(_ outcome: String, _ value: Int) -> MetricFamily.Sample {
            .init(labels: [a, p, ("outcome", outcome)], value: Double(value))
        }
        let failures = counters.signatureFailures.withLock { $0 }
        let rejected = failures.values.reduce(0, +)
        var families = [
            MetricFamily(name: "switchboard_sms_webhooks_total", help: "Inbound SMS webhook requests, by outcome.", kind: .counter, samples: [
                sample("accepted", counters.accepted.load(ordering: .relaxed)),
                sample("duplicate", counters.duplicates.load(ordering: .relaxed)),
                sample("bad_signature", rejected),
                sample("invalid", counters.invalid.load(ordering: .relaxed)),
                sample("quarantined", counters.quarantined.load(ordering: .relaxed)),
                sample("rate_limited", counters.rateLimited.load(ordering: .relaxed)),
                sample("overloaded", counters.overloaded.load(ordering: .relaxed)),
                sample("failed", counters.failed.load(ordering: .relaxed)),
                sample("concat_part", counters.concatParts.load(ordering: .relaxed)),
            ]),
            MetricFamily(name: "switchboard_sms_delivery_receipts_total", help: "Signed delivery receipts, by whether they changed an outbox row (early: kept until the send it reports is recorded).", kind: .counter, samples: [
                .init(labels: [a, ("outcome", "applied")], value: Double(counters.receiptsApplied.load(ordering: .relaxed))),
                .init(labels: [a, ("outcome", "ignored")], value: Double(counters.receiptsIgnored.load(ordering: .relaxed))),
                .init(labels: [a, ("outcome", "early")], value: Double(counters.receiptsParked.load(ordering: .relaxed))),
            ]),
            MetricFamily(name: "switchboard_sms_opt_changes_total", help: "STOP / START keywords received, by direction.", kind: .counter, samples: [
                .init(labels: [a, ("change", "opt_out")], value: Double(counters.optOuts.load(ordering: .relaxed))),
                .init(labels: [a, ("change", "opt_in")], value: Double(counters.optIns.load(ordering: .relaxed))),
            ]),
        ]
        families.append(MetricFamily(name: "switchboard_sms_signature_failures_total",
                                     help: "Webhooks refused with 403 because of their signature, by reason.", kind: .counter,
                                     samples: failures.keys.sorted().map { .init(labels: [a, ("reason", $0)], value: Double(failures[$0] ?? 0)) }
                                        + (failures.isEmpty ? [.init(labels: [a, ("reason", "none")], value: 0)] : [])))
        return families
    }

    /// One line for status.
    var statusDetail: String {
        let accepted = counters.accepted.load(ordering: .relaxed)
        let rejected = counters.signatureFailures.withLock { $0.values.reduce(0, +) }
        return "serving \(route) on listener \(settings.listener); \(accepted) stored, \(rejected) refused (signature)"
    }
}

/// A message an SMS parser could not build, with the field at fault (for quarantine and tests).
public struct SMSWebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

/// Body forms a webhook may arrive in. Public for the fuzz harness (`SwitchboardFuzzing`), which
/// decodes bodies the way the adapters do.
public enum WebhookBody {
    /// The request's media type, lower-cased, without parameters.
    public static func mediaType(_ request: HTTPRequest) -> String {
        guard let contentType = request.headers["Content-Type"] else { return "" }
        let main = contentType.utf8.firstIndex(of: UInt8(ascii: ";")).map { contentType[..<$0] } ?? contentType[...]
        return ASCIIText.lowercased(ASCIIText.trimmed(main))
    }

    /// A flat JSON object's members as parameters (strings as they are, numbers and booleans as
    /// their JSON text; nested values are skipped).
    public static func parameters(fromJSON value: JSONValue) -> FormParameters? {
        guard case .object(let object) = value else { return nil }
        var parameters = FormParameters()
        for member in object {
            switch member.value {
            case .string(let s): parameters.append(name: member.key, value: s)
            case .int(let i): parameters.append(name: member.key, value: String(i))
            case .double: parameters.append(name: member.key, value: member.value.compactString)
            case .bool(let b): parameters.append(name: member.key, value: b ? "true" : "false")
            default: continue
            }
        }
        return parameters
    }
}
