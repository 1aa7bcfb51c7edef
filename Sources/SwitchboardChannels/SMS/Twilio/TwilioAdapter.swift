import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// The `twilio` adapter: serves Twilio's inbound message webhook. A request is checked in this
/// order: limits (429/413/503), signature (403, nothing stored), parameters (a signed request
/// that cannot become a message is quarantined), then stored; the empty TwiML answer goes out
/// after the COMMIT, the same for a duplicate MessageSid.
public final class TwilioAdapter: ChannelAdapter {
    public let id: String
    let settings: TwilioAdapterSettings
    let context: AdapterContext
    let endpoint: SMSWebhookEndpoint
    let parser: TwilioWebhookParser
    private let validator = Mutex<TwilioSignature?>(nil)
    private let sender = Mutex<SMSOutboundSender?>(nil)

    /// `<Response/>`: Twilio sends nothing back to the customer.
    public static let emptyTwiML: HTTPResponse = HTTPResponse(
        status: 200, headers: ["Content-Type": "text/xml; charset=utf-8"],
        body: Array(#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#.utf8))

    public init(settings: TwilioAdapterSettings, context: AdapterContext) {
        self.id = context.id
        self.settings = settings
        self.context = context
        self.endpoint = SMSWebhookEndpoint(adapterID: context.id, provider: "twilio", settings: settings.endpoint, context: context)
        self.parser = TwilioWebhookParser(adapterID: context.id, defaultRegion: settings.endpoint.defaultRegion)
    }

    /// Resolves the secrets; a secret that does not resolve stops this adapter with the reason.
    public func start() throws {
        let token = try settings.authToken.resolveForStart("auth_token", adapterID: id, environment: context.environment)
        let shared = try settings.sharedKey?.resolveForStart("shared_key", adapterID: id, environment: context.environment)
        validator.withLock { $0 = TwilioSignature(authToken: token, sharedKey: shared, sharedKeyID: settings.sharedKeyID) }
        if let send = settings.send, case .twilio(let sid, let sendToken, let from, let service) = send.credentials {
            let password = try sendToken?.resolveForStart("send.auth_token", adapterID: id, environment: context.environment) ?? token
            let api = TwilioMessagesAPI(accountSID: sid, authToken: String(decoding: password, as: UTF8.self), from: from,
                                        messagingServiceSID: service, statusCallback: endpoint.statusCallbackURL(configured: send.statusCallback),
                                        baseURL: send.apiURL ?? "https://api.twilio.com")
            sender.withLock {
                $0 = SMSOutboundSender(api: api, client: CurlFormClient(timeout: send.timeout), maxSegments: send.maxSegments,
                                       longAnswer: send.longAnswer)
            }
        }
    }

    public var outboundSender: (any OutboundSender)? { sender.withLock { $0 } }

    public func stop() { endpoint.stopAccepting() }

    public var statusDetail: String { endpoint.statusDetail }

    public func metrics() -> [MetricFamily] { endpoint.metrics() }

    public func register(on router: inout HTTPRouter, listener: String) {
        guard listener == settings.endpoint.listener else { return }
        endpoint.register(on: &router, methods: ["POST", "GET"]) { [self] request, responder in handle(request, responder) }
        endpoint.register(on: &router, methods: ["POST"], path: endpoint.statusRoute) { [self] request, responder in
            handleStatus(request, responder)
        }
    }

    /// Twilio's status callback for a message we sent: signed like an inbound webhook (403 and
    /// nothing changed when the signature is wrong), applied to the outbox row by MessageSid.
    func handleStatus(_ request: HTTPRequest, _ responder: HTTPResponder) {
        if let refusal = endpoint.precheck(request) { return responder.send(refusal) }
        guard let validator = validator.withLock({ $0 }) else {
            return responder.send(endpoint.retryLater(status: 503, code: "not_started", message: "the adapter has not started"))
        }
        let parameters = FormParameters(encoded: request.body)
        switch validator.validate(url: endpoint.externalURL(request, suffix: "/status"), payload: .form(parameters),
                                  signature: request.headers[TwilioSignature.header],
                                  settings: request.headers[TwilioSignature.settingsHeader]) {
        case .failure(let failure):
            return endpoint.rejectSignature(request, code: failure.code, reason: failure.description,
                                            externalID: parameters["MessageSid"], responder: responder)
        case .success:
            break
        }
        guard let receipt = SMSDeliveryReceipt.twilio(parameters) else {
            return endpoint.rejectMalformed("a status callback needs MessageSid and MessageStatus", responder: responder)
        }
        endpoint.applyReceipt(receipt, outboxID: nil, success: HTTPResponse(status: 204), responder: responder)
    }

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        if let refusal = endpoint.precheck(request) { return responder.send(refusal) }
        guard let validator = validator.withLock({ $0 }) else {
            return responder.send(endpoint.retryLater(status: 503, code: "not_started", message: "the adapter has not started"))
        }
        let url = endpoint.externalURL(request)
        let payload: TwilioSignature.Payload
        let parameters: FormParameters
        let raw: [UInt8]
        if request.method == "GET" {
            payload = .none
            parameters = FormParameters(encoded: Array((request.query ?? "").utf8))
            raw = Array((request.query ?? "").utf8)
        } else {
            let mediaType = WebhookBody.mediaType(request)
            raw = request.body
            if mediaType == "application/x-www-form-urlencoded" || (mediaType.isEmpty && !request.body.isEmpty && request.body.first != UInt8(ascii: "{")) {
                parameters = FormParameters(encoded: request.body)
                payload = .form(parameters)
            } else if mediaType == "application/json" || mediaType.hasSuffix("+json") {
                payload = .body(request.body)
                parameters = (try? JSONParser().parse(request.body)).flatMap(WebhookBody.parameters(fromJSON:)) ?? FormParameters()
            } else {
                return endpoint.rejectMalformed("Content-Type must be application/x-www-form-urlencoded or application/json", responder: responder)
            }
        }
        switch validator.validate(url: url, payload: payload, signature: request.headers[TwilioSignature.header],
                                  settings: request.headers[TwilioSignature.settingsHeader]) {
        case .failure(let failure):
            let sid = parameters["MessageSid"] ?? parameters["SmsMessageSid"]
            return endpoint.rejectSignature(request, code: failure.code, reason: failure.description, externalID: sid, responder: responder)
        case .success:
            break
        }
        switch parser.parse(parameters, raw: raw) {
        case .success(let message):
            endpoint.ingest(message, success: Self.emptyTwiML, responder: responder)
        case .failure(let error):
            endpoint.quarantine(code: "invalid_twilio_webhook", reason: error.description, raw: raw, success: Self.emptyTwiML, responder: responder)
        }
    }
}
