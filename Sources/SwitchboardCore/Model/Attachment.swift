/// What is known about an attachment without carrying its bytes around: the bytes, when kept,
/// are stored separately under their hash with a size cap.
public struct Attachment: Sendable, Hashable, Codable {
    public var name: String?
    public var contentType: String
    public var size: Int
    /// Lower-case hex SHA-256 of the bytes, when the adapter had them.
    public var sha256: String?
    /// Where the bytes live when the provider keeps them (MMS media URLs, social media).
    public var url: String?

    public init(name: String? = nil, contentType: String, size: Int, sha256: String? = nil, url: String? = nil) {
        self.name = name
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.url = url
    }
}
