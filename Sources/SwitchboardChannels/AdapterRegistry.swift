import SwitchboardCore

/// The typed settings of one adapter instance, parsed from its entry in adapters.json.
///
/// Each adapter type has its own settings struct. A reload does not compare these values: the
/// configuration keeps the canonical JSON of every adapter entry and restarts an adapter when that
/// changes (see `AdapterInstance` in SwitchboardDaemon), so a settings type only has to be Sendable.
public protocol AdapterSettings: Sendable {
    /// The listeners this adapter receives on, checked against `listeners` in the same file.
    var listenerReferences: [ListenerReference] { get }
    /// The channel of the messages this adapter produces when the type's default does not fit
    /// (the local adapter's `default_channel`). nil keeps `AdapterType.channel`.
    var channelOverride: Channel? { get }
}

extension AdapterSettings {
    public var listenerReferences: [ListenerReference] { [] }
    public var channelOverride: Channel? { nil }
}

/// An adapter naming a listener: the key that names it, the name, and the kind it must be.
public struct ListenerReference: Sendable, Hashable {
    /// The settings key that holds the name (`"listener"`), for the path.
    public var key: String
    public var name: String
    public var kind: ListenerKind

    public init(key: String, name: String, kind: ListenerKind) {
        self.key = key
        self.name = name
        self.kind = kind
    }
}

/// One kind of adapter, as an admin names it in `"type"`: what it is called, which channel its
/// messages travel on by default, and how to read its settings.
///
/// `parseSettings` reads the type-specific keys from the entry's reader (the generic `type` and
/// `enabled` are already read) and reports problems on the reader; the configuration reports
/// unknown keys afterwards. Any issue rejects the whole file, so a type may return settings with
/// defaults in place of bad values (which lets cross-checks such as listener references run), or
/// nil when nothing sensible can be built.
public struct AdapterType: Sendable {
    public var name: String
    public var channel: Channel
    /// One line for `check-config` hints and docs.
    public var summary: String
    public var parseSettings: @Sendable (ConfigReader) -> (any AdapterSettings)?
    /// Builds a running adapter from its settings; nil for types the daemon serves itself
    /// (the local socket's ingest endpoint).
    public var makeAdapter: (@Sendable (any AdapterSettings, AdapterContext) throws -> any ChannelAdapter)?

    public init(name: String, channel: Channel, summary: String,
                parseSettings: @escaping @Sendable (ConfigReader) -> (any AdapterSettings)?,
                makeAdapter: (@Sendable (any AdapterSettings, AdapterContext) throws -> any ChannelAdapter)? = nil) {
        self.name = name
        self.channel = channel
        self.summary = summary
        self.parseSettings = parseSettings
        self.makeAdapter = makeAdapter
    }
}

extension AdapterType {
    /// An adapter type whose settings and adapter are concrete types: the cast from
    /// `any AdapterSettings` back to `Settings` is done here once, not in every channel.
    public static func typed<Settings: AdapterSettings>(
        name: String, channel: Channel, summary: String,
        parse: @escaping @Sendable (ConfigReader) -> Settings?,
        make: @escaping @Sendable (Settings, AdapterContext) throws -> any ChannelAdapter
    ) -> AdapterType {
        AdapterType(name: name, channel: channel, summary: summary, parseSettings: { parse($0) },
                    makeAdapter: { settings, context in
                        guard let typed = settings as? Settings else {
                            throw AdapterSettingsMismatch(adapterID: context.id, expected: String(describing: Settings.self))
                        }
                        return try make(typed, context)
                    })
    }
}

/// A registry bug, not an admin's: an adapter type was handed another type's settings.
public struct AdapterSettingsMismatch: Error, CustomStringConvertible {
    public var adapterID: String
    public var expected: String
    public var description: String { "adapter \(adapterID): internal error: expected \(expected) settings" }
}

/// The explicit list of adapter types the daemon knows. A new channel adds its type here, in
/// one line, and nowhere else; tests build registries with stub types.
public struct AdapterRegistry: Sendable {
    public var types: [AdapterType]

    public init(types: [AdapterType]) {
        self.types = types
    }

    /// Every adapter type shipped with Switchboard.
    public static let standard = AdapterRegistry(types: [
        LocalAdapterSettings.adapterType,
        TwilioAdapterSettings.adapterType,
        VonageAdapterSettings.adapterType,
        SMSWebhookSettings.adapterType,
        IMAPAdapterSettings.adapterType,
    ])

    public func type(named name: String) -> AdapterType? {
        types.first { $0.name == name }
    }

    public var names: [String] { types.map(\.name) }
}
