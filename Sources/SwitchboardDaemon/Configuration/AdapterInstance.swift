import SwitchboardChannels
import SwitchboardCore

/// One entry of `adapters`: an adapter type configured under an id, ready for the daemon to build.
///
/// `canonicalJSON` is the entry exactly as the admin wrote it, re-serialized compactly with sorted
/// keys. A reload restarts an adapter only when its canonical JSON differs (or a listener it uses
/// changed, see `ConfigurationChanges`): formatting, key order and the other entries do not matter.
public struct AdapterInstance: Sendable {
    /// The key under `adapters`: `[a-z0-9][a-z0-9_-]{0,63}`, used in logs, metrics and message records.
    public var id: String
    public var type: AdapterType
    /// A disabled adapter is checked like any other but not started.
    public var enabled: Bool
    /// The channel its messages travel on: the settings' override or the type's default.
    public var channel: Channel
    public var settings: any AdapterSettings
    public var canonicalJSON: [UInt8]

    public init(id: String, type: AdapterType, enabled: Bool, settings: any AdapterSettings, canonicalJSON: [UInt8]) {
        self.id = id
        self.type = type
        self.enabled = enabled
        self.channel = settings.channelOverride ?? type.channel
        self.settings = settings
        self.canonicalJSON = canonicalJSON
    }

    /// The settings as the adapter's own type: `instance.settings(as: LocalAdapterSettings.self)`.
    public func settings<Settings: AdapterSettings>(as type: Settings.Type) -> Settings? {
        settings as? Settings
    }

    /// Whether `other` was configured identically (same id, same entry up to formatting and key order).
    public func isConfiguredLike(_ other: AdapterInstance) -> Bool {
        id == other.id && canonicalJSON == other.canonicalJSON
    }

    /// `[a-z0-9][a-z0-9_-]{0,63}`.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        for (position, byte) in bytes.enumerated() {
            let isLowerOrDigit = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            if position == 0 {
                guard isLowerOrDigit else { return false }
            } else {
                guard isLowerOrDigit || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") else { return false }
            }
        }
        return true
    }
}
