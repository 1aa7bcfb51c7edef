/// What a customer's message is about, as the channel-mapping matrix sees it. String-backed so
/// that a centre can add its own types in configuration; the default taxonomy is below.
public struct InquiryType: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    ExpressibleByStringLiteral, CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (lhs: InquiryType, rhs: InquiryType) -> Bool { lhs.rawValue < rhs.rawValue }

    public static let billing: InquiryType = "billing"
    public static let technical: InquiryType = "technical"
    public static let accountAccess: InquiryType = "account_access"
    public static let orderStatus: InquiryType = "order_status"
    public static let information: InquiryType = "information"
    public static let complaint: InquiryType = "complaint"
    public static let sales: InquiryType = "sales"
    public static let cancellation: InquiryType = "cancellation"
    /// The general queue: out-of-scope messages and anything the classifier is unsure about.
    public static let other: InquiryType = "other"

    /// The shipped taxonomy, in the order the issue lists it.
    public static let defaultTaxonomy: [InquiryType] = [
        .billing, .technical, .accountAccess, .orderStatus, .information,
        .complaint, .sales, .cancellation, .other,
    ]
}
