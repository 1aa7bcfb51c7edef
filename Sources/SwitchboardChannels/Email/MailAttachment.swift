import SwitchboardCore

/// An attachment, an inline image, or a forwarded mail (`message/rfc822`, kept whole).
///
/// `data` holds the decoded bytes up to `MailParseLimits.maxAttachmentBytes`; a larger attachment
/// keeps its metadata and size with empty `data` and `isDataComplete == false`. The parser does
/// no hashing (nothing cryptographic is written by hand): the adapter hashes `data` with OpenSSL
/// and fills `sha256`.
public struct MailAttachment: Sendable, Hashable {
    /// The decoded file name (Content-Disposition filename, else Content-Type name).
    public var name: String?
    /// `type/subtype`, lower-cased, without parameters.
    public var contentType: String
    /// `attachment`, `inline`, or nil when the part has no Content-Disposition.
    public var disposition: String?
    /// Content-ID without angle brackets (inline images referenced as `cid:` from the HTML).
    public var contentID: String?
    /// Size of the decoded bytes (for `message/rfc822`, of the embedded mail as sent).
    public var size: Int
    public var data: [UInt8]
    public var isDataComplete: Bool
    /// Lower-case hex SHA-256, filled in by the adapter.
    public var sha256: String?
    /// MIME part number (`2`, `1.3`).
    public var partNumber: String

    public init(name: String?, contentType: String, disposition: String? = nil, contentID: String? = nil,
                size: Int, data: [UInt8], isDataComplete: Bool, sha256: String? = nil, partNumber: String) {
        self.name = name
        self.contentType = contentType
        self.disposition = disposition
        self.contentID = contentID
        self.size = size
        self.data = data
        self.isDataComplete = isDataComplete
        self.sha256 = sha256
        self.partNumber = partNumber
    }

    /// The channel-neutral attachment record (no bytes).
    public var coreAttachment: Attachment {
        Attachment(name: name, contentType: contentType, size: size, sha256: sha256)
    }
}
