import Foundation
import Synchronization
import Testing
import SwitchboardNet
@testable import SwitchboardChannels

/// The outbound sender against the project's own HTTP server on loopback, standing in for the
/// Twilio and Vonage APIs: requests recorded and checked, scripted answers (429 + Retry-After,
/// 5xx, 400), waits recorded instead of slept.
@Suite(.serialized) struct SMSSenderTests {
    /// What the stand-in received, and what it answers next.
    final class Recorder: Sendable {
        let requests = Mutex<[HTTPRequest]>([])
        let script: Mutex<[HTTPResponse]>
        init(_ answers: [HTTPResponse]) { script = Mutex(answers) }

        func answer(_ request: HTTPRequest) -> HTTPResponse {
            requests.withLock { $0.append(request) }
            return script.withLock { $0.isEmpty ? HTTPResponse(status: 500) : $0.removeFirst() }
        }
    }

    final class StandIn: Sendable {
        let server: HTTPServer
        let recorder: Recorder

        init(_ answers: [HTTPResponse]) throws {
            let recorder = Recorder(answers)
            self.recorder = recorder
            server = HTTPServer(configuration: .init(listeners: [.tcp(host: "127.0.0.1", port: 0)])) { request, responder in
                responder.send(recorder.answer(request))
            }
            try server.start()
        }

        var baseURL: String { "http://127.0.0.1:\(server.boundAddresses[0].port!)" }
        var recorded: [HTTPRequest] { recorder.requests.withLock { $0 } }
        deinit { _ = server.shutdown(gracefulTimeout: .seconds(1)) }
    }

    final class Sleeps: Sendable {
        let waits = Mutex<[Duration]>([])
        var recorded: [Duration] { waits.withLock { $0 } }
        var sleep: @Sendable (Duration) -> Void { { [self] d in self.waits.withLock { $0.append(d) } } }
    }

    static func twilioCreated(_ sid: String = "SM123") -> HTTPResponse {
        .json(#"{"sid":"\#(sid)","status":"queued"}"#, status: 201)
    }

    static func twilioError(_ status: Int, code: Int, message: String, retryAfter: String? = nil) -> HTTPResponse {
        var r = HTTPResponse.json(#"{"code":\#(code),"message":"\#(message)","status":\#(status)}"#, status: status)
        if let retryAfter { r.headers.add(name: "Retry-After", value: retryAfter) }
        return r
    }

    func twilio(_ standIn: StandIn, sleeps: Sleeps, policy: SMSSender.Policy = .init()) -> SMSSender {
        SMSSender(api: TwilioMessagesAPI(accountSID: "AC123", authToken: "tok", from: "+14155550100",
                                         statusCallback: "https://support.example.com/sms/twilio-status", baseURL: standIn.baseURL),
                  client: CurlFormClient(timeout: .seconds(5)), policy: policy, sleep: sleeps.sleep)
    }

    @Test func twilioRequestIsAuthenticatedForm() throws {
        let standIn = try StandIn([Self.twilioCreated("SMabc")])
        let sleeps = Sleeps()
        let result = twilio(standIn, sleeps: sleeps).send(OutboundSMS(to: "+447700900123", text: "Your order 48213 ships today & arrives Friday."))
        #expect(result == .sent(providerID: "SMabc", attempts: 1, segments: 1, usedPointer: false))
        let request = try #require(standIn.recorded.first)
        #expect(request.method == "POST")
        #expect(request.path == "/2010-04-01/Accounts/AC123/Messages.json")
        #expect(request.headers["Authorization"] == "Basic " + Data("AC123:tok".utf8).base64EncodedString())
        #expect(request.headers["Content-Type"]?.hasPrefix("application/x-www-form-urlencoded") == true)
        let form = FormParameters(encoded: request.body)
        #expect(form["To"] == "+447700900123")
        #expect(form["From"] == "+14155550100")
        #expect(form["Body"] == "Your order 48213 ships today & arrives Friday.")
        #expect(form["StatusCallback"] == "https://support.example.com/sms/twilio-status")
        #expect(sleeps.recorded.isEmpty)
    }

    @Test func retryAfterThenSuccess() throws {
        let standIn = try StandIn([Self.twilioError(429, code: 20429, message: "Too Many Requests", retryAfter: "7"),
                                   Self.twilioError(503, code: 0, message: "unavailable"),
                                   Self.twilioCreated("SMok")])
        let sleeps = Sleeps()
        let result = twilio(standIn, sleeps: sleeps).send(OutboundSMS(to: "+447700900123", text: "hi"))
        #expect(result == .sent(providerID: "SMok", attempts: 3, segments: 1, usedPointer: false))
        #expect(sleeps.recorded == [.seconds(7), .seconds(2)], "Retry-After honoured, then backoff 1s·2^(2−1)")
        #expect(standIn.recorded.count == 3)
    }

    @Test func badRequestDeadLetters() throws {
        let standIn = try StandIn([Self.twilioError(400, code: 21211, message: "Invalid 'To' Phone Number")])
        let sleeps = Sleeps()
        let result = twilio(standIn, sleeps: sleeps).send(OutboundSMS(to: "+10000000000", text: "hi"))
        #expect(result == .deadLettered(reason: "HTTP 400 (Twilio error 21211): Invalid 'To' Phone Number", attempts: 1))
        #expect(standIn.recorded.count == 1)
        #expect(sleeps.recorded.isEmpty)
    }

    @Test func retriesRunOut() throws {
        let standIn = try StandIn(Array(repeating: HTTPResponse(status: 502), count: 4))
        let sleeps = Sleeps()
        let result = twilio(standIn, sleeps: sleeps, policy: .init(maxAttempts: 4, baseDelay: .seconds(1), maxDelay: .seconds(3)))
            .send(OutboundSMS(to: "+447700900123", text: "hi"))
        #expect(result == .deadLettered(reason: "gave up after 4 attempts: HTTP 502", attempts: 4))
        #expect(sleeps.recorded == [.seconds(1), .seconds(2), .seconds(3)])
    }

    @Test func transportErrorsAreRetried() throws {
        let sleeps = Sleeps()
        let sender = SMSSender(api: TwilioMessagesAPI(accountSID: "AC1", authToken: "t", from: "+1", baseURL: "http://127.0.0.1:1"),
                               client: CurlFormClient(timeout: .seconds(2)), policy: .init(maxAttempts: 2), sleep: sleeps.sleep)
        guard case .deadLettered(let reason, 2) = sender.send(OutboundSMS(to: "+447700900123", text: "hi")) else {
            Issue.record("expected a dead letter after 2 attempts")
            return
        }
        #expect(reason.contains("curl error"))
    }

    @Test func optedOutNumbersAreNeverSent() throws {
        let standIn = try StandIn([Self.twilioCreated()])
        let result = twilio(standIn, sleeps: Sleeps()).send(OutboundSMS(to: "+447700900123", text: "hi"), contactAttributes: ["sms_opt_out": "true"])
        #expect(result == .refused(reason: "the recipient opted out of SMS (STOP)"))
        #expect(standIn.recorded.isEmpty)
    }

    @Test func longAnswersFollowThePolicy() throws {
        let long = String(repeating: "This answer is long. ", count: 30)  // 630 GSM-7 septets: 5 segments
        let standIn = try StandIn([Self.twilioCreated("SM1"), Self.twilioCreated("SM2")])
        let sleeps = Sleeps()
        let three = twilio(standIn, sleeps: sleeps, policy: .init(maxSegments: 3))
        #expect(three.send(OutboundSMS(to: "+447700900123", text: long)) == .refused(reason: "the answer needs 5 SMS segments; the limit is 3"))
        let five = twilio(standIn, sleeps: sleeps, policy: .init(maxSegments: 5))
        #expect(five.send(OutboundSMS(to: "+447700900123", text: long)) == .sent(providerID: "SM1", attempts: 1, segments: 5, usedPointer: false))
        #expect(FormParameters(encoded: standIn.recorded[0].body)["Body"] == long, "sent whole; the provider concatenates")
        let pointer = twilio(standIn, sleeps: sleeps, policy: .init(maxSegments: 1, longAnswer: .pointer("We emailed you the full answer.")))
        #expect(pointer.send(OutboundSMS(to: "+447700900123", text: long)) == .sent(providerID: "SM2", attempts: 1, segments: 1, usedPointer: true))
        #expect(FormParameters(encoded: standIn.recorded[1].body)["Body"] == "We emailed you the full answer.")
    }

    @Test func vonageUnicodeThrottleAndFailure() throws {
        let ok = HTTPResponse.json(#"{"message-count":"1","messages":[{"to":"447700900123","message-id":"0A1","status":"0"}]}"#)
        let throttled = HTTPResponse.json(#"{"message-count":"1","messages":[{"status":"1","error-text":"Throughput Rate Exceeded"}]}"#)
        let invalid = HTTPResponse.json(#"{"message-count":"1","messages":[{"status":"3","error-text":"Invalid to parameter"}]}"#)
        let standIn = try StandIn([throttled, ok, invalid])
        let sleeps = Sleeps()
        let sender = SMSSender(api: VonageSMSAPI(apiKey: "key", apiSecret: "sec", from: "ACME", baseURL: standIn.baseURL),
                               client: CurlFormClient(timeout: .seconds(5)), sleep: sleeps.sleep)
        #expect(sender.send(OutboundSMS(to: "+447700900123", text: "Ihre Bestellung ist unterwegs 🚚", reference: "ob_1"))
                == .sent(providerID: "0A1", attempts: 2, segments: 1, usedPointer: false))
        let form = FormParameters(encoded: standIn.recorded[0].body)
        #expect(standIn.recorded[0].path == "/sms/json")
        #expect(form["api_key"] == "key" && form["api_secret"] == "sec")
        #expect(form["to"] == "447700900123")
        #expect(form["type"] == "unicode")
        #expect(form["client-ref"] == "ob_1")
        #expect(sleeps.recorded == [.seconds(1)])
        #expect(sender.send(OutboundSMS(to: "+1", text: "plain")) == .deadLettered(reason: "Vonage status 3: Invalid to parameter", attempts: 1))
        #expect(FormParameters(encoded: standIn.recorded[2].body)["type"] == nil, "GSM-7 text is sent as text")
    }

    @Test func retryAfterAsHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_795_338_900)
        #expect(retryAfter(["retry-after": "120"], now: now) == .seconds(120))
        #expect(retryAfter(["retry-after": "Sun, 22 Nov 2026 09:16:00 GMT"], now: now) == .seconds(60))
        #expect(retryAfter(["retry-after": "soon"], now: now) == nil)
        #expect(retryAfter([:], now: now) == nil)
    }
}
