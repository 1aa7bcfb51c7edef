/// One node of a mail's MIME tree, pointing into the raw bytes. Internal: the parser builds the
/// tree, then reads the text and attachments out of it.
struct MIMEEntity {
    /// MIME part number: `0` for the top, `1`, `2`, `1.2` below it.
    var path: String
    var headers: HeaderBlock
    /// `type/subtype`, lower-cased; the default when the header is missing or invalid.
    var contentType: String
    var typeParameters: [String: String]
    var disposition: String?
    var dispositionParameters: [String: String]
    var transferEncoding: String
    var contentID: String?
    /// The body's raw (still transfer-encoded) bytes.
    var body: Range<Int>
    var children: [MIMEEntity]

    var isMultipart: Bool { contentType.hasPrefix("multipart/") }
    var isAttachmentDisposition: Bool { disposition == "attachment" }

    /// Content-Disposition filename, else Content-Type name.
    var filename: String? {
        for candidate in [dispositionParameters["filename"], typeParameters["name"]] {
            if let name = candidate?.trimmedWhitespace, !name.isEmpty { return name }
        }
        return nil
    }

    func childPath(_ number: Int) -> String { path == "0" ? "\(number)" : "\(path).\(number)" }
}
