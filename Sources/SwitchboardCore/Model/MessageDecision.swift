/// What the daemon decided about an inbound message before storing it: the inquiry type from
/// the classifier and, when a channel-mapping matrix is configured, the queue and priority.
/// `details` keeps the whole decision with its reasons (classifier output, the rule that matched,
/// the rules that did not and why), stored verbatim so `switchboard explain` can replay it.
public struct MessageDecision: Sendable, Hashable {
    public var inquiryType: String
    public var confidence: Double
    public var queue: String?
    public var priority: Int?
    public var details: JSONValue

    public init(inquiryType: String, confidence: Double, queue: String? = nil, priority: Int? = nil, details: JSONValue) {
        self.inquiryType = inquiryType
        self.confidence = confidence
        self.queue = queue
        self.priority = priority
        self.details = details
    }
}
