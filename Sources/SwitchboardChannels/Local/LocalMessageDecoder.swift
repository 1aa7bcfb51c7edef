import Foundation
import SwitchboardCore

/// Why a posted message was refused: the field (a dotted path such as `from.kind` or
/// `messages[3].channel`), a stable code for programs, and a message and hint for people.
public struct FieldError: Error, Sendable, Equatable {
    public var field: String?
    public var code: String
    public var message: String
    public var hint: String?

    public init(field: String?, code: String = "invalid_field", message: String, hint: String? = nil) {
        self.field = field
        self.code = code
        self.message = message
        self.hint = hint
    }

    /// The same error seen from inside a batch (`messages[3].` prefixed to the field).
    public func prefixed(_ prefix: String) -> FieldError {
        var copy = self
        copy.field = field.map { "\(prefix).\($0)" } ?? prefix
        return copy
    }
}

/// Turns one posted JSON object (schema v1, docs/ingest-api.md) into an `InboundMessage`.
/// Pure: no I/O, so it is tested as a table of documents and errors.
public struct LocalMessageDecoder: Sendable {
    public var adapterID: String
    public var defaultChannel: Channel?
    public var allowedChannels: Set<Channel> {
        didSet { allowedMask = Self.mask(allowedChannels) }
    }
    /// `allowedChannels` as one bit per channel: a `Set<Channel>` lookup hashes the channel's
    /// name, and every message asks.
    private var allowedMask: UInt32

    public static let maxExternalIDBytes = 200
    static let knownFields: Set<String> = [
        "id", "adapter", "channel", "from", "to", "subject", "text", "html", "attachments",
        "sent_at", "thread", "in_reply_to", "contact", "metadata",
    ]
    /// `knownFields` by their length in UTF-8 bytes: every key of every message is checked, and
    /// comparing it with the one to five known names of its length is cheaper than hashing it.
    static let knownFieldsByLength: [[String]] = {
        var table = [[String]](repeating: [], count: (knownFields.map(\.utf8.count).max() ?? 0) + 1)
        for field in knownFields { table[field.utf8.count].append(field) }
        return table
    }()

    static func isKnownField(_ key: String) -> Bool {
        let length = key.utf8.count
        return length < knownFieldsByLength.count && knownFieldsByLength[length].contains(key)
    }

    private static func mask(_ channels: Set<Channel>) -> UInt32 {
        channels.reduce(0) { $0 | bit($1) }
    }

    private static func bit(_ channel: Channel) -> UInt32 {
        switch channel {
        case .email: 1 << 0
        case .sms: 1 << 1
        case .chat: 1 << 2
        case .social: 1 << 3
        case .voice: 1 << 4
        case .web: 1 << 5
        case .other: 1 << 6
        }
    }

    public init(adapterID: String, defaultChannel: Channel?, allowedChannels: Set<Channel>) {
        self.adapterID = adapterID
        self.defaultChannel = defaultChannel
        self.allowedChannels = allowedChannels
        allowedMask = Self.mask(allowedChannels)
    }

    public func decode(_ value: JSONValue, raw: [UInt8]) -> Result<InboundMessage, FieldError> {
        guard case .object(let object) = value else {
            return .failure(FieldError(field: nil, code: "invalid_body", message: "the body must be a JSON object, found \(value.typeName)"))
        }
        for member in object where !Self.isKnownField(member.key) {
            let hint = KeySuggestion.closest(to: member.key, in: Self.knownFields.sorted()).map { "did you mean '\($0)'?" }
                ?? "known fields: \(Self.knownFields.sorted().joined(separator: ", "))"
            return .failure(FieldError(field: member.key, code: "unknown_field", message: "unknown field", hint: hint))
        }
        do {
            let externalID = try requiredString(object, "id")
            guard externalID.utf8.count <= Self.maxExternalIDBytes else {
                throw FieldError(field: "id", message: "is longer than \(Self.maxExternalIDBytes) bytes")
            }
            let channel = try decodeChannel(object)
            let (sender, senderName) = try decodeSender(object)
            let text = try optionalString(object, "text")
            let html = try optionalString(object, "html")
            let attachments = try decodeAttachments(object)
            guard text != nil || html != nil || !attachments.isEmpty else {
                throw FieldError(field: "text", code: "missing_field", message: "is required", hint: "give the message's plain text; it may be \"\" when html or attachments are given")
            }
            var sentAt: Date?
            if let sentText = try optionalString(object, "sent_at") {
                guard let parsed = RFC3339.parse(sentText) else {
                    throw FieldError(field: "sent_at", message: "is not an RFC 3339 time", hint: "write it like 2026-11-22T09:15:00Z")
                }
                sentAt = parsed
            }
            return .success(InboundMessage(
                channel: channel, adapterID: adapterID, externalID: externalID, sender: sender,
                senderName: senderName, recipient: try optionalString(object, "to"),
                subject: try optionalString(object, "subject"), text: text ?? "", html: html,
                attachments: attachments, sentAt: sentAt, threadKey: try optionalString(object, "thread"),
                replyTo: try stringList(object, "in_reply_to"),
                contactAttributes: try stringMap(object, "contact"),
                metadata: try stringMap(object, "metadata"), raw: raw))
        } catch let error as FieldError {
            return .failure(error)
        } catch {
            return .failure(FieldError(field: nil, message: "\(error)"))
        }
    }

    private func decodeChannel(_ object: JSONObject) throws -> Channel {
        let channel: Channel
        if let name = try optionalString(object, "channel") {
            guard let parsed = Channel(rawValue: name) else {
                throw FieldError(field: "channel", message: "'\(name)' is not a channel",
                                 hint: "one of: \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            channel = parsed
        } else if let defaultChannel {
            channel = defaultChannel
        } else {
            throw FieldError(field: "channel", code: "missing_field", message: "is required",
                             hint: "one of: \(Channel.allCases.map(\.rawValue).joined(separator: ", ")), or set default_channel on the adapter")
        }
        guard allowedMask & Self.bit(channel) != 0 else {
            throw FieldError(field: "channel", code: "channel_not_allowed",
                             message: "adapter '\(adapterID)' may not post on channel '\(channel.rawValue)'",
                             hint: "allowed: \(allowedChannels.map(\.rawValue).sorted().joined(separator: ", ")) (the adapter's channels in adapters.json)")
        }
        return channel
    }

    private func decodeSender(_ object: JSONObject) throws -> (Identity, String?) {
        guard let fromValue = object["from"] else {
            throw FieldError(field: "from", code: "missing_field", message: "is required", hint: "{\"kind\":\"email\",\"value\":\"ana@example.com\"}")
        }
        guard case .object(let from) = fromValue else {
            throw FieldError(field: "from", message: "must be an object, found \(fromValue.typeName)", hint: "{\"kind\":\"email\",\"value\":\"ana@example.com\"}")
        }
        // A switch, not `[…].contains`: no array to build for every message.
        for member in from {
            switch member.key {
            case "kind", "value", "name": continue
            default: break
            }
            throw FieldError(field: "from.\(member.key)", code: "unknown_field", message: "unknown field", hint: "from takes kind, value and name")
        }
        let kindName = try requiredString(from, "kind", path: "from.kind")
        guard let kind = Identity.Kind(rawValue: kindName) else {
            throw FieldError(field: "from.kind", message: "'\(kindName)' is not an identity kind",
                             hint: "one of: \(Identity.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let rawValue = try requiredString(from, "value", path: "from.value")
        switch Identity.normalized(kind: kind, value: rawValue) {
        case .success(let identity):
            return (identity, try optionalString(from, "name", path: "from.name"))
        case .failure(let error):
            throw FieldError(field: "from.value", message: error.reason)
        }
    }

    private func decodeAttachments(_ object: JSONObject) throws -> [Attachment] {
        guard let value = object["attachments"] else { return [] }
        guard case .array(let items) = value else {
            throw FieldError(field: "attachments", message: "must be an array, found \(value.typeName)")
        }
        return try items.enumerated().map { index, item in
            let path = "attachments[\(index)]"
            guard case .object(let a) = item else { throw FieldError(field: path, message: "must be an object, found \(item.typeName)") }
            for member in a where !["name", "content_type", "size", "sha256", "url"].contains(member.key) {
                throw FieldError(field: "\(path).\(member.key)", code: "unknown_field", message: "unknown field", hint: "attachments take name, content_type, size, sha256, url")
            }
            let contentType = try requiredString(a, "content_type", path: "\(path).content_type")
            guard let sizeValue = a["size"] else { throw FieldError(field: "\(path).size", code: "missing_field", message: "is required") }
            guard let size = sizeValue.intValue, size >= 0 else {
                throw FieldError(field: "\(path).size", message: "must be a whole number of bytes, at least 0")
            }
            return Attachment(name: try optionalString(a, "name", path: "\(path).name"), contentType: contentType, size: size,
                              sha256: try optionalString(a, "sha256", path: "\(path).sha256"),
                              url: try optionalString(a, "url", path: "\(path).url"))
        }
    }

    private func requiredString(_ object: JSONObject, _ key: String, path: String? = nil) throws -> String {
        guard let value = object[key] else {
            throw FieldError(field: path ?? key, code: "missing_field", message: "is required")
        }
        guard case .string(let s) = value else {
            throw FieldError(field: path ?? key, message: "must be a string, found \(value.typeName)")
        }
        guard !s.isEmpty else { throw FieldError(field: path ?? key, message: "must not be empty") }
        return s
    }

    private func optionalString(_ object: JSONObject, _ key: String, path: String? = nil) throws -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .string(let s) = value else {
            throw FieldError(field: path ?? key, message: "must be a string, found \(value.typeName)")
        }
        return s
    }

    private func stringList(_ object: JSONObject, _ key: String) throws -> [String] {
        guard let value = object[key], !value.isNull else { return [] }
        guard case .array(let items) = value else { throw FieldError(field: key, message: "must be an array of strings, found \(value.typeName)") }
        return try items.enumerated().map { index, item in
            guard case .string(let s) = item else { throw FieldError(field: "\(key)[\(index)]", message: "must be a string, found \(item.typeName)") }
            return s
        }
    }

    private func stringMap(_ object: JSONObject, _ key: String) throws -> [String: String] {
        guard let value = object[key], !value.isNull else { return [:] }
        guard case .object(let members) = value else { throw FieldError(field: key, message: "must be an object of strings, found \(value.typeName)") }
        var out: [String: String] = [:]
        for member in members {
            switch member.value {
            case .string(let s): out[member.key] = s
            case .int(let i): out[member.key] = String(i)
            case .bool(let b): out[member.key] = String(b)
            default: throw FieldError(field: "\(key).\(member.key)", message: "must be a string, found \(member.value.typeName)")
            }
        }
        return out
    }
}
