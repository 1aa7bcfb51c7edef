/// One server response, as `IMAPResponseParser` reads it (RFC 3501 §7, RFC 4731 ESEARCH).
/// Only what Switchboard's client acts on gets its own case; the rest is `.other` with its values.
public enum IMAPResponse: Sendable, Hashable {
    /// `+ text`: the server waits for more (IDLE's "+ idling").
    case continuation(String)
    /// `A1 OK [CODE arg] text`: the end of command A1.
    case tagged(tag: String, status: IMAPStatus, code: IMAPResponseCode?, text: String)
    /// `* OK|NO|BAD|PREAUTH|BYE [CODE arg] text`.
    case condition(IMAPStatus, code: IMAPResponseCode?, text: String)
    case capability([String])
    case exists(UInt32)
    case recent(UInt32)
    case expunge(UInt32)
    case fetch(sequence: UInt32, IMAPFetchAttributes)
    case search([UInt32])
    case esearch(IMAPESearchResult)
    case other(keyword: String, values: [IMAPValue])
}

public enum IMAPStatus: String, Sendable, Hashable {
    case ok = "OK", no = "NO", bad = "BAD", preauth = "PREAUTH", bye = "BYE"
}

/// `[UIDVALIDITY 3857529045]`: the name upper-cased and the rest as written.
public struct IMAPResponseCode: Sendable, Hashable {
    public var name: String
    public var argument: String

    public init(name: String, argument: String = "") {
        self.name = name
        self.argument = argument
    }

    public var number: UInt32? { UInt32(argument) }
}

/// The data items of one FETCH response that the client asks for.
public struct IMAPFetchAttributes: Sendable, Hashable {
    public var uid: UInt32?
    /// RFC822.SIZE.
    public var size: Int?
    public var flags: [String]?
    /// The section of a `BODY[…]` item (`""` for the whole mail, `HEADER`) and its bytes
    /// (nil for NIL).
    public var bodySection: String?
    public var body: [UInt8]?

    public init(uid: UInt32? = nil, size: Int? = nil, flags: [String]? = nil, bodySection: String? = nil, body: [UInt8]? = nil) {
        self.uid = uid
        self.size = size
        self.flags = flags
        self.bodySection = bodySection
        self.body = body
    }
}

/// `* ESEARCH (TAG "A5") UID COUNT 3 ALL 4:6` (RFC 4731).
public struct IMAPESearchResult: Sendable, Hashable {
    public var tag: String?
    public var isUID = false
    public var all: IMAPSequenceSet?
    public var min: UInt32?
    public var max: UInt32?
    public var count: Int?

    public init(tag: String? = nil, isUID: Bool = false, all: IMAPSequenceSet? = nil, min: UInt32? = nil, max: UInt32? = nil, count: Int? = nil) {
        self.tag = tag
        self.isUID = isUID
        self.all = all
        self.min = min
        self.max = max
        self.count = count
    }
}

/// A value in a response: an atom (numbers too), a quoted string or literal, NIL, or a
/// parenthesized list.
public indirect enum IMAPValue: Sendable, Hashable {
    case atom(String)
    case string([UInt8])
    case none
    case list([IMAPValue])

    public var atom: String? {
        if case .atom(let text) = self { return text }
        return nil
    }

    public var number: UInt64? { atom.flatMap { UInt64($0) } }

    /// An atom or a string as text.
    public var text: String? {
        switch self {
        case .atom(let text): text
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}
