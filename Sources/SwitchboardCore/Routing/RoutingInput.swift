import Foundation

/// Everything the channel-mapping matrix looks at for one inbound message. The daemon builds it
/// from the classifier's output, the message and the contact record; `time` is the message's
/// arrival (the matrix never reads a clock).
public struct RoutingInput: Sendable, Hashable {
    public var messageID: String?
    public var type: InquiryType
    /// The classifier's confidence, 0…1.
    public var confidence: Double
    /// The frustration score, 0…1.
    public var frustration: Double
    /// The channel the message came in on.
    public var channel: Channel
    /// A public social post or mention (not a direct message).
    public var isPublicPost: Bool
    public var contact: ContactProfile
    /// The conversation already received an automatic answer: a human takes it from here.
    public var alreadyAutoAnswered: Bool
    public var time: Date

    public init(messageID: String? = nil, type: InquiryType, confidence: Double = 1, frustration: Double = 0,
                channel: Channel, isPublicPost: Bool = false, contact: ContactProfile = ContactProfile(),
                alreadyAutoAnswered: Bool = false, time: Date) {
        self.messageID = messageID
        self.type = type
        self.confidence = confidence
        self.frustration = frustration
        self.channel = channel
        self.isPublicPost = isPublicPost
        self.contact = contact
        self.alreadyAutoAnswered = alreadyAutoAnswered
        self.time = time
    }

    /// From the classifier's verdict.
    public init(messageID: String? = nil, classification: Classification, channel: Channel, isPublicPost: Bool = false,
                contact: ContactProfile = ContactProfile(), alreadyAutoAnswered: Bool = false, time: Date) {
        self.init(messageID: messageID, type: classification.type, confidence: classification.confidence,
                  frustration: classification.frustration.score, channel: channel, isPublicPost: isPublicPost,
                  contact: contact, alreadyAutoAnswered: alreadyAutoAnswered, time: time)
    }
}

/// What the router knows about the customer: attributes the matrix can match (`tier`,
/// `language`, any key), and how they can and want to be answered.
public struct ContactProfile: Sendable, Hashable {
    public var attributes: [String: String]
    public var preferredChannel: Channel?
    /// Channels the customer asked not to be contacted on.
    public var optedOut: Set<Channel>
    /// Channels the contact has an identity on (an email address, a phone number…); nil when not
    /// known. The channel the message came in on is always reachable; when nil, another channel
    /// counts as reachable only if it is the preferred one or a rule names it.
    public var reachable: Set<Channel>?
    /// Whether a social direct message can be sent (the network may require the customer to
    /// follow the account or to have opened a conversation).
    public var canReceiveDirectMessage: Bool

    public init(attributes: [String: String] = [:], preferredChannel: Channel? = nil, optedOut: Set<Channel> = [],
                reachable: Set<Channel>? = nil, canReceiveDirectMessage: Bool = true) {
        self.attributes = attributes
        self.preferredChannel = preferredChannel
        self.optedOut = optedOut
        self.reachable = reachable
        self.canReceiveDirectMessage = canReceiveDirectMessage
    }

    public var tier: String? { attributes["tier"] }
    public var language: String? { attributes["language"] }
}
