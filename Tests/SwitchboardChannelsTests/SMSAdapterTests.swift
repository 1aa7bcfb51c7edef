import Foundation
import Synchronization
import Testing
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem
@testable import SwitchboardChannels

/// The adapters with a real store on a temporary file: answers after commit, 403 stores
/// nothing, duplicates answered the same, long Vonage messages durable across a restart.
@Suite(.serialized) struct SMSAdapterTests {
    final class Harness: @unchecked Sendable {
        let dir: String
        let store: Store
        let log = InMemoryLogHandler()
        let clock = ManualNow(Date(timeIntervalSince1970: 1_795_338_900))

        init() throws {
            dir = NSTemporaryDirectory() + "sms-adapter-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            store = try Store(path: dir + "/sb.db", logger: .silent)
        }

        func reopen() throws -> Store { try Store(path: dir + "/sb.db", logger: .silent) }

        func context(_ id: String, store: Store? = nil, environment: [String: String] = ["TOKEN": "12345", "SECRET": "secret"]) -> AdapterContext {
            AdapterContext(id: id, store: store ?? self.store, logger: Logger(label: "adapter.\(id)", handler: log),
                           metrics: MetricsRegistry(), environment: environment,
                           listenerPublicURLs: ["web": "https://support.example.com"], trustedProxies: ["web": ["127.0.0.1"]],
                           now: { [clock] in clock.now })
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// Sends a request through a router and waits for the answer.
    static func send(_ request: HTTPRequest, to router: HTTPRouter) -> HTTPResponse {
        let done = DispatchSemaphore(value: 0)
        let answer = Mutex<HTTPResponse?>(nil)
        router.handle(request, HTTPResponder { event in
            if case .response(let r) = event { answer.withLock { $0 = r } }
            done.signal()
        })
        done.wait()
        return answer.withLock { $0! }
    }

    static func twilioSettings(path: String = "/sms/twilio") -> TwilioAdapterSettings {
        TwilioAdapterSettings(endpoint: WebhookEndpointSettings(listener: "web", path: path, defaultRegion: "US"),
                              authToken: .environment("TOKEN"))
    }

    static func twilioRequest(sid: String, body: String = "Where is my order?", token: String = "12345",
                              url: String = "https://support.example.com/sms/twilio") -> HTTPRequest {
        let params = FormParameters([("MessageSid", sid), ("From", "+14155550123"), ("To", "+14155550100"), ("Body", body)])
        let signature = TwilioSignature.signature(url: url, parameters: params, key: Array(token.utf8))
        return HTTPRequest(method: "POST", target: "/sms/twilio",
                           headers: ["Host": "127.0.0.1:8080", "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature],
                           body: Array(params.encoded.utf8), peer: .tcp(address: "127.0.0.1", port: 5555))
    }

    func messageCount(_ store: Store) throws -> Int { try store.stats().messages }

    @Test func twilioStoresOnceAndAnswersTwiML() throws {
        let h = try Harness()
        let adapter = TwilioAdapter(settings: Self.twilioSettings(), context: h.context("tw"))
        try adapter.start()
        var router = HTTPRouter()
        adapter.register(on: &router, listener: "web")

        let first = Self.send(Self.twilioRequest(sid: "SM00000000000000000000000000000001"), to: router)
        #expect(first.status == 200)
        #expect(String(decoding: first.body, as: UTF8.self) == #"<?xml version="1.0" encoding="UTF-8"?><Response/>"#)
        #expect(first.headers["Content-Type"]?.hasPrefix("text/xml") == true)
        let again = Self.send(Self.twilioRequest(sid: "SM00000000000000000000000000000001"), to: router)
        #expect(again == first)
        #expect(try messageCount(h.store) == 1)
    }

    @Test func badSignatureIs403NothingStoredLoggedWithoutBody() throws {
        let h = try Harness()
        let adapter = TwilioAdapter(settings: Self.twilioSettings(), context: h.context("tw"))
        try adapter.start()
        var router = HTTPRouter()
        adapter.register(on: &router, listener: "web")
        let secretText = "my card number is 4111"
        let forged = Self.twilioRequest(sid: "SM00000000000000000000000000000002", body: secretText, token: "wrong")
        let response = Self.send(forged, to: router)
        #expect(response.status == 403)
        #expect(try messageCount(h.store) == 0)
        let warnings = h.log.records.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.fields["reason"] != nil)
        #expect(warnings.first?.fields["external_id"] == "SM00000000000000000000000000000002")
        for record in h.log.records {
            #expect(!record.message.contains("4111") && !record.fields.values.contains { $0.contains("4111") })
        }
        let rendered = adapter.metrics().map(\.name)
        #expect(rendered.contains("switchboard_sms_signature_failures_total"))
        // A URL other than the public one fails too (signed for the internal address).
        let viaInternalURL = Self.twilioRequest(sid: "SM00000000000000000000000000000003", url: "http://127.0.0.1:8080/sms/twilio")
        #expect(Self.send(viaInternalURL, to: router).status == 403)
    }

    @Test func unresolvedSecretFailsStart() throws {
        let h = try Harness()
        let adapter = TwilioAdapter(settings: Self.twilioSettings(), context: h.context("tw", environment: [:]))
        #expect {
            try adapter.start()
        } throws: { error in
            "\(error)".contains("auth_token") && "\(error)".contains("TOKEN") && !"\(error)".contains("12345")
        }
    }

    @Test func rateLimitedWith429() throws {
        let h = try Harness()
        var settings = Self.twilioSettings()
        settings.endpoint.rateLimit = .init(perSecond: 1, burst: 2)
        let adapter = TwilioAdapter(settings: settings, context: h.context("tw"))
        try adapter.start()
        var router = HTTPRouter()
        adapter.register(on: &router, listener: "web")
        var statuses: [Int] = []
        for i in 0..<3 {
            var request = Self.twilioRequest(sid: "SM0000000000000000000000000000010\(i)")
            request.head.headers.add(name: "X-Forwarded-For", value: "198.51.100.7")
            statuses.append(Self.send(request, to: router).status)
        }
        #expect(statuses == [200, 200, 429])
    }

    @Test func duplicateRouteIsRefusedNotFatal() throws {
        let h = try Harness()
        let a = TwilioAdapter(settings: Self.twilioSettings(), context: h.context("tw1"))
        let b = TwilioAdapter(settings: Self.twilioSettings(), context: h.context("tw2"))
        var router = HTTPRouter()
        a.register(on: &router, listener: "web")
        b.register(on: &router, listener: "web")
        #expect(h.log.records.contains { $0.level == .error && $0.message.contains("route already taken") })
    }

    // MARK: Vonage

    static func vonageSettings() -> VonageAdapterSettings {
        VonageAdapterSettings(endpoint: WebhookEndpointSettings(listener: "web", path: "/sms/vonage"),
                              signatureSecret: .environment("SECRET"), signatureMethod: .sha256, concatTimeout: .seconds(60))
    }

    static func vonageRequest(_ fields: [(String, String)], secret: String = "secret", method: String = "POST") -> HTTPRequest {
        var params = FormParameters(fields + [("timestamp", "1795338900")])
        params.append(name: "sig", value: VonageSignature.signature(params, secret: Array(secret.utf8), method: .sha256))
        if method == "GET" {
            return HTTPRequest(method: "GET", target: "/sms/vonage?" + params.encoded, peer: .tcp(address: "127.0.0.1", port: 1))
        }
        return HTTPRequest(method: "POST", target: "/sms/vonage", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                           body: Array(params.encoded.utf8), peer: .tcp(address: "127.0.0.1", port: 1))
    }

    static func part(_ n: Int, of total: Int, ref: String = "42") -> [(String, String)] {
        [("msisdn", "447700900123"), ("to", "447700900000"), ("messageId", "PART-\(ref)-\(n)"), ("text", "part\(n);"),
         ("type", "text"), ("concat", "true"), ("concat-ref", ref), ("concat-total", String(total)), ("concat-part", String(n))]
    }

    @Test func vonageGetAndPostSignedAndRejected() throws {
        let h = try Harness()
        let adapter = VonageAdapter(settings: Self.vonageSettings(), context: h.context("vn"))
        try adapter.start()
        defer { adapter.stop() }
        var router = HTTPRouter()
        adapter.register(on: &router, listener: "web")
        let fields = [("msisdn", "447700900123"), ("to", "447700900000"), ("messageId", "0A1"), ("text", "Hi & = ok"), ("type", "text")]
        #expect(Self.send(Self.vonageRequest(fields), to: router).status == 204)
        #expect(Self.send(Self.vonageRequest(fields, method: "GET"), to: router).status == 204, "GET re-send of the same id")
        #expect(try messageCount(h.store) == 1)
        #expect(Self.send(Self.vonageRequest([("msisdn", "1"), ("messageId", "0A2")], secret: "wrong"), to: router).status == 403)
        #expect(try messageCount(h.store) == 1)
        // A signed request outside the timestamp window.
        h.clock.advance(3 * 86_400)
        #expect(Self.send(Self.vonageRequest([("msisdn", "1"), ("messageId", "0A3")]), to: router).status == 403)
    }

    @Test func vonageLongMessageSurvivesARestart() async throws {
        let h = try Harness()
        do {
            let adapter = VonageAdapter(settings: Self.vonageSettings(), context: h.context("vn"))
            try adapter.start()
            var router = HTTPRouter()
            adapter.register(on: &router, listener: "web")
            #expect(Self.send(Self.vonageRequest(Self.part(2, of: 3)), to: router).status == 204)
            #expect(Self.send(Self.vonageRequest(Self.part(3, of: 3)), to: router).status == 204)
            #expect(try messageCount(h.store) == 0, "nothing routed before the whole message is here")
            adapter.stop()
        }
        // A new adapter on the same store (as after a restart) finds the parts.
        let adapter = VonageAdapter(settings: Self.vonageSettings(), context: h.context("vn"))
        try adapter.start()
        defer { adapter.stop() }
        var router = HTTPRouter()
        adapter.register(on: &router, listener: "web")
        #expect(adapter.statusDetail.contains("1 long message"))
        #expect(Self.send(Self.vonageRequest(Self.part(1, of: 3)), to: router).status == 204)
        #expect(try messageCount(h.store) == 1)
        // A probe from the same number, written the national way, lands on the same contact.
        let probe = InboundMessage(channel: .sms, adapterID: "probe", externalID: "probe-1",
                                   sender: PhoneNumber.senderIdentity("07700 900123", defaultRegion: "GB"), text: "probe")
        let outcome = try await h.store.ingest(probe)
        let stored = try h.store.recentMessages(contactID: outcome.contactID).filter { $0.message.adapterID == "vn" }
        #expect(stored.count == 1)
        #expect(stored.first?.message.text == "part1;part2;part3;")
        #expect(stored.first?.message.externalID == "PART-42-1")
        // Parts re-sent after delivery are recognised, by a fresh process too.
        #expect(Self.send(Self.vonageRequest(Self.part(2, of: 3)), to: router).status == 204)
        let third = VonageAdapter(settings: Self.vonageSettings(), context: h.context("vn"))
        try third.start()
        defer { third.stop() }
        var router3 = HTTPRouter()
        third.register(on: &router3, listener: "web")
        #expect(Self.send(Self.vonageRequest(Self.part(3, of: 3)), to: router3).status == 204)
        #expect(try messageCount(h.store) == 2, "the probe and the long message")
    }

    @Test func vonageIncompleteMessageDeliveredAfterTimeout() throws {
        let h = try Harness()
        let adapter = VonageAdapter(settings: Self.vonageSettings(), context: h.context("vn"))
        try adapter.start()
        defer { adapter.stop() }
        var router = HTTPRouter()
        adapter.register(on: &router, listener: "web")
        #expect(Self.send(Self.vonageRequest(Self.part(1, of: 2, ref: "7")), to: router).status == 204)
        h.clock.advance(61)
        adapter.deliverExpired()
        for _ in 0..<200 where try messageCount(h.store) == 0 { Thread.sleep(forTimeInterval: 0.01) }
        #expect(try messageCount(h.store) == 1)
    }

    // MARK: Generic

    @Test func genericWebhook() throws {
        let h = try Harness()
        let settings = SMSWebhookSettings(endpoint: WebhookEndpointSettings(listener: "web", defaultRegion: "DE"), secret: .environment("SECRET"))
        let adapter = SMSWebhookAdapter(settings: settings, context: h.context("gw"))
        try adapter.start()
        var router = HTTPRouter()
        adapter.register(on: &router, listener: "web")
        let body = Array(#"{"id":"gw-1","from":"0151 12345678","text":"Hallo"}"#.utf8)
        let signature = WebhookSignature(secrets: [Array("secret".utf8)]).headerValue(secret: Array("secret".utf8), timestamp: "1795338900", body: body)
        func request(_ sig: String, _ ts: String = "1795338900") -> HTTPRequest {
            HTTPRequest(method: "POST", target: "/sms/gw", headers: ["Content-Type": "application/json", "X-Signature": sig, "X-Timestamp": ts],
                        body: body, peer: .tcp(address: "127.0.0.1", port: 1))
        }
        #expect(Self.send(request(signature), to: router).status == 200)
        #expect(Self.send(request(signature), to: router).status == 200)
        #expect(Self.send(request(signature, "1795338901"), to: router).status == 403)
        #expect(Self.send(request("sha256=00"), to: router).status == 403)
        #expect(try messageCount(h.store) == 1)
    }
}

/// A settable clock for the adapters' `now`.
final class ManualNow: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
