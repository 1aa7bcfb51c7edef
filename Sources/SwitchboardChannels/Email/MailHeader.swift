/// One header field as written: the name as the sender spelled it and the unfolded value
/// (line breaks removed, RFC 2047 words left encoded). 8-bit values are read as UTF-8, or as
/// Latin-1 (windows-1252) when they are not valid UTF-8.
public struct MailHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
