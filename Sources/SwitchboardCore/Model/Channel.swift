/// The kinds of channel a message can travel on. An adapter belongs to exactly one channel;
/// the channel decides how an answer can be sent back and whether it is public.
public enum Channel: String, Sendable, Hashable, CaseIterable, Codable {
    case email, sms, chat, social, voice, web, other

    /// Whether a reply on this channel can be seen by people other than the customer
    /// (a public social post). Private inquiry types are never answered on such a channel.
    public var isPublicByDefault: Bool { self == .social }
}

/// Inbound messages come from customers; outbound ones are answers that leave through the outbox.
public enum Direction: String, Sendable, Hashable, Codable {
    case inbound, outbound
}
