import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// The `sms-webhook` adapter: a JSON POST signed with HMAC-SHA256 over `timestamp.body`.
/// Answers `200 {"status":"ok"}` after the COMMIT (also for a duplicate id).
public final class SMSWebhookAdapter: ChannelAdapter {
    public let id: String
    let settings: SMSWebhookSettings
    let context: AdapterContext
    let endpoint: SMSWebhookEndpoint
    let parser: SMSWebhookParser
    private let validator = Mutex<WebhookSignature?>(nil)

    public init(settings: SMSWebhookSettings, context: AdapterContext) {
        self.id = context.id
        self.settings = settings
        self.context = context
        self.endpoint = SMSWebhookEndpoint(adapterID: context.id, provider: "webhook", settings: settings.endpoint, context: context)
        self.parser = SMSWebhookParser(adapterID: context.id, defaultRegion: settings.endpoint.defaultRegion, fields: settings.fields)
    }

    public func start() throws {
        var secrets = [try settings.secret.resolveForStart("secret", adapterID: id, environment: context.environment)]
        if let previous = settings.previousSecret {
            secrets.append(try previous.resolveForStart("previous_secret", adapterID: id, environment: context.environment))
        }
        validator.withLock {
            $0 = WebhookSignature(secrets: secrets, prefix: settings.signaturePrefix, encoding: settings.signatureEncoding,
                                  tolerance: settings.tolerance)
        }
    }

    public func stop() { endpoint.stopAccepting() }
    public var statusDetail: String { endpoint.statusDetail }
    public func metrics() -> [MetricFamily] { endpoint.metrics() }

    public func register(on router: inout HTTPRouter, listener: String) {
        guard listener == settings.endpoint.listener else { return }
        endpoint.register(on: &router, methods: ["POST"]) { [self] request, responder in handle(request, responder) }
    }

    /// The same answer for a new message and a duplicate: the sender only needs to know it is safe.
    static let accepted = HTTPResponse.json(#"{"status":"ok"}"#)

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        if let refusal = endpoint.precheck(request) { return responder.send(refusal) }
        guard let validator = validator.withLock({ $0 }) else {
            return responder.send(endpoint.retryLater(status: 503, code: "not_started", message: "the adapter has not started"))
        }
        switch validator.validate(signature: request.headers[settings.signatureHeader], timestamp: request.headers[settings.timestampHeader],
                                  body: request.body, now: context.now()) {
        case .failure(let failure):
            return endpoint.rejectSignature(request, code: failure.code, reason: failure.description, responder: responder)
        case .success:
            break
        }
        switch parser.parse(request.body) {
        case .success(let message):
            endpoint.ingest(message, success: Self.accepted, responder: responder)
        case .failure(let error):
            endpoint.quarantine(code: "invalid_sms_webhook", reason: error.description, raw: request.body,
                                success: Self.accepted, responder: responder)
        }
    }
}
