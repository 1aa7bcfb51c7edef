import SwitchboardCore

/// Settings of the `local` adapter: in-house systems and admin scripts post messages as JSON to
/// a Unix socket listener; the socket's file permissions are the access control.
///
///     "adapters": {
///       "local": {
///         "type": "local",
///         "listener": "local",
///         "channels": ["email", "web", "other"],
///         "default_channel": "other",
///         "max_body": "1MiB"
///       }
///     }
public struct LocalAdapterSettings: AdapterSettings, Hashable {
    /// The name of the Unix listener (under `listeners`) the adapter receives on.
    public var listener: String
    /// The channels a posted message may claim; a message naming another channel is rejected.
    public var channels: [Channel]
    /// The channel of a message that names none; nil means such a message is rejected.
    public var defaultChannel: Channel?
    /// The largest message body the adapter accepts, in bytes.
    public var maxBody: Int

    public static let defaultMaxBody = 1 << 20

    public init(listener: String = "local", channels: [Channel] = Channel.allCases, defaultChannel: Channel? = nil,
                maxBody: Int = LocalAdapterSettings.defaultMaxBody) {
        self.listener = listener
        self.channels = channels
        self.defaultChannel = defaultChannel
        self.maxBody = maxBody
    }

    public var listenerReferences: [ListenerReference] {
        [ListenerReference(key: "listener", name: listener, kind: .unix)]
    }

    public var channelOverride: Channel? { defaultChannel }

    public static let adapterType = AdapterType(
        name: "local",
        channel: .other,
        summary: "messages posted as JSON to a local Unix socket by in-house systems",
        parseSettings: { reader in LocalAdapterSettings.parse(reader) }
    )

    /// Reads `listener`, `channels`, `default_channel` and `max_body`; a bad value is reported and
    /// replaced by its default, so the listener cross-check still runs.
    public static func parse(_ reader: ConfigReader) -> LocalAdapterSettings {
        let channelNames = Channel.allCases.map(\.rawValue)
        let listener = reader.string("listener", default: "local")
        let channels = reader.stringList("channels", allowed: channelNames, allowEmptyList: false)?
            .compactMap(Channel.init(rawValue:)) ?? Channel.allCases
        let defaultChannel: Channel? = reader.choice("default_channel")
        let maxBody = reader.byteSize("max_body", default: defaultMaxBody, in: 1...(1 << 30))
        if let defaultChannel, !channels.contains(defaultChannel) {
            reader.report(.conflict, "\"\(defaultChannel.rawValue)\" is not in channels",
                          hint: "add it to channels or choose one of " + channels.map(\.rawValue).joined(separator: ", "),
                          key: "default_channel")
        }
        return LocalAdapterSettings(listener: listener, channels: channels, defaultChannel: defaultChannel, maxBody: maxBody)
    }
}
