/// What the daemon decided about an inbound message before storing it: the inquiry type from
/// the classifier and, when a channel-mapping matrix is configured, the queue and priority.
/// `details` keeps the decision with its reasons (classifier output, the rule that matched, the
/// rules that did not and why) so that `switchboard explain` can show it; `wholeDetails` is the
/// document readers are given.
public struct MessageDecision: Sendable, Hashable {
    public var inquiryType: String
    public var confidence: Double
    public var queue: String?
    public var priority: Int?
    /// A JSON object, kept as bytes: written once on the hot path, parsed only when explained. In
    /// the small stored form (`DecisionExplanation.writeStored`): what the fields above hold and
    /// the defaults are left out.
    public var details: [UInt8]
    /// The matrix's verdict as a value, for what happens after the commit (task, automatic
    /// answer, SLA clocks). Not stored: after a restart it is decided again from the stored message.
    public var routing: RoutingDecision?
    /// The classifier's verdict as a value (frustration, runner-ups). Not stored either.
    public var classification: Classification?

    public init(inquiryType: String, confidence: Double, queue: String? = nil, priority: Int? = nil, details: [UInt8],
                routing: RoutingDecision? = nil, classification: Classification? = nil) {
        self.inquiryType = inquiryType
        self.confidence = confidence
        self.queue = queue
        self.priority = priority
        self.details = details
        self.routing = routing
        self.classification = classification
    }

    /// `details` with everything the stored form leaves out put back: what API readers and
    /// `switchboard explain` see.
    public var wholeDetails: [UInt8] {
        DecisionExplanation.expandStored(details, columns: .init(inquiryType: inquiryType, confidence: confidence,
                                                                 queue: queue, priority: priority))
    }
}
