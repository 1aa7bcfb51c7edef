import SwitchboardCore

/// `limits`: the bounds on every HTTP input, shared by all listeners.
///
///     "limits": { "max_header_bytes": "16KiB", "max_body_bytes": "1MiB", "max_connections": 512,
///                 "idle_timeout": "60s", "read_timeout": "30s" }
public struct LimitSettings: Sendable, Hashable {
    public var maxHeaderBytes: Int
    public var maxBodyBytes: Int
    public var maxConnections: Int
    /// How long a keep-alive connection may sit without a request.
    public var idleTimeout: Duration
    /// How long a client may take to send one whole request.
    public var readTimeout: Duration

    public init(maxHeaderBytes: Int = 16 << 10, maxBodyBytes: Int = 1 << 20, maxConnections: Int = 512,
                idleTimeout: Duration = .seconds(60), readTimeout: Duration = .seconds(30)) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
    }

    static func read(_ reader: ConfigReader) -> LimitSettings {
        let defaults = LimitSettings()
        let settings = LimitSettings(
            maxHeaderBytes: reader.byteSize("max_header_bytes", default: defaults.maxHeaderBytes, in: 1024...(1 << 20)),
            maxBodyBytes: reader.byteSize("max_body_bytes", default: defaults.maxBodyBytes, in: 1024...(1 << 30)),
            maxConnections: reader.int("max_connections", default: defaults.maxConnections, in: 1...100_000),
            idleTimeout: reader.duration("idle_timeout", default: defaults.idleTimeout, in: .seconds(1) ... .seconds(3600)),
            readTimeout: reader.duration("read_timeout", default: defaults.readTimeout, in: .seconds(1) ... .seconds(3600)))
        reader.reportUnknownKeys()
        return settings
    }
}
