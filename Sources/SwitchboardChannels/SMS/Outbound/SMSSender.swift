import Foundation

/// Sends one SMS through a provider API with the SMS rules applied: never to a number that
/// opted out, at most `maxSegments` segments (longer answers follow `longAnswer`), retries with
/// exponential backoff on 429/5xx/transport errors honouring Retry-After, and a final
/// dead-letter outcome for what the provider will never accept.
///
/// Blocking (libcurl and the waits between attempts): the outbox runs it on its own thread.
/// The outbox row, its state and the dead-letter list belong to the outbox; this returns what
/// happened for it to record.
public struct SMSSender: Sendable {
    public struct Policy: Sendable, Hashable {
        public var maxAttempts: Int
        public var baseDelay: Duration
        public var maxDelay: Duration
        public var maxSegments: Int
        public var longAnswer: SMSLongAnswerPolicy

        public init(maxAttempts: Int = 6, baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(300),
                    maxSegments: Int = 3, longAnswer: SMSLongAnswerPolicy = .refuse) {
            self.maxAttempts = max(1, maxAttempts)
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
            self.maxSegments = max(1, maxSegments)
            self.longAnswer = longAnswer
        }

        /// The wait before attempt `attempt + 1` (1-based): the provider's Retry-After when it
        /// gave one, else base·2^(attempt−1); never more than `maxDelay`.
        public func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
            if let retryAfter { return min(retryAfter, maxDelay) }
            let factor = 1 << min(20, attempt - 1)
            return min(baseDelay * factor, maxDelay)
        }
    }

    public enum Result: Sendable, Equatable {
        case sent(providerID: String, attempts: Int, segments: Int, usedPointer: Bool)
        /// The provider refused for good, or retries ran out: keep it on the dead-letter list.
        case deadLettered(reason: String, attempts: Int)
        /// Not sent, by rule (opted out, too long): the router should pick another channel.
        case refused(reason: String)
    }

    public var api: any SMSProviderAPI
    public var client: CurlFormClient
    public var policy: Policy
    public var sleep: @Sendable (Duration) -> Void

    public init(api: any SMSProviderAPI, client: CurlFormClient = CurlFormClient(), policy: Policy = Policy(),
                sleep: @escaping @Sendable (Duration) -> Void = { Thread.sleep(forTimeInterval: Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) }) {
        self.api = api
        self.client = client
        self.policy = policy
        self.sleep = sleep
    }

    /// Sends `sms`. `contactAttributes` are the recipient contact's (for `sms_opt_out`).
    public func send(_ sms: OutboundSMS, contactAttributes: [String: String] = [:]) -> Result {
        if contactAttributes[SMSKeyword.optOutAttribute] == "true" {
            return .refused(reason: "the recipient opted out of SMS (STOP)")
        }
        var message = sms
        var usedPointer = false
        let segments: Int
        switch policy.longAnswer.decide(sms.text, maxSegments: policy.maxSegments) {
        case .send(let s): segments = s.count
        case .sendPointer(let s):
            message.text = s.parts.joined()
            segments = s.count
            usedPointer = true
        case .refuse(let count):
            return .refused(reason: "the answer needs \(count) SMS segments; the limit is \(policy.maxSegments)")
        }
        let request = api.request(for: message)
        var lastReason = ""
        for attempt in 1...policy.maxAttempts {
            let outcome: SMSSendOutcome
            do {
                outcome = api.interpret(try client.post(url: request.url, form: request.form, basicAuth: request.basicAuth))
            } catch {
                outcome = .retry(after: nil, reason: error.description)
            }
            switch outcome {
            case .accepted(let id):
                return .sent(providerID: id, attempts: attempt, segments: segments, usedPointer: usedPointer)
            case .failed(let reason):
                return .deadLettered(reason: reason, attempts: attempt)
            case .retry(let after, let reason):
                lastReason = reason
                if attempt < policy.maxAttempts { sleep(policy.delay(afterAttempt: attempt, retryAfter: after)) }
            }
        }
        return .deadLettered(reason: "gave up after \(policy.maxAttempts) attempts: \(lastReason)", attempts: policy.maxAttempts)
    }
}
