import Foundation
import SwitchboardChannels
import SwitchboardCore

/// The whole of adapters.json, read, checked and resolved: what `buildDaemon(configuration:)`
/// wires up and what a reload compares against the running one.
///
/// Loading never stops at the first problem: the result is either a complete configuration or a
/// `ConfigurationError` listing every issue with its JSON path. Relative paths are already
/// resolved (see `ConfigurationContext`), and every adapter entry has been parsed by its type from
/// the `AdapterRegistry`. The format is described key by key in docs/configuration.md.
public struct Configuration: Sendable {
    /// The only format version this build reads.
    public static let currentVersion = 1

    public var version: Int
    public var context: ConfigurationContext
    public var store: StoreSettings
    /// By name.
    public var listeners: [String: ListenerSettings]
    public var limits: LimitSettings
    public var ingest: IngestSettings
    public var log: LogSettings
    /// How long SIGTERM waits for in-flight work before exiting anyway.
    public var shutdownTimeout: Duration
    /// In file order.
    public var adapters: [AdapterInstance]
    public var classifier: ClassifierSettings = ClassifierSettings()
    /// Taxonomy, queues, agents, calendars, responses and the channel-mapping matrix
    /// (docs/routing.md); the minimal one-queue setup when none of those sections is present.
    public var routing: RoutingConfiguration = .minimal
    /// Retries, dead-lettering and sending threads of the outbox (docs/outbox.md).
    public var outbox: OutboxSettings = OutboxSettings()
    /// Where the agent API with bearer tokens is served.
    public var agentAPI: AgentAPISettings = AgentAPISettings()

    public func adapter(id: String) -> AdapterInstance? {
        adapters.first { $0.id == id }
    }

    /// Where the daemon looks when no path is given: `$CONFIGURATION_DIRECTORY/adapters.json`
    /// under systemd (`ConfigurationDirectory=switchboard`), else `adapters.json` here.
    public static func defaultPath(environment: [String: String]) -> String {
        if let directory = environment["CONFIGURATION_DIRECTORY"]?.split(separator: ":").first, !directory.isEmpty {
            return directory + "/adapters.json"
        }
        return "adapters.json"
    }

    // MARK: Loading

    /// Reads, parses and checks the file at `path` (relative to `currentDirectory`). Relative paths
    /// inside resolve against `$STATE_DIRECTORY` when set, else `currentDirectory`.
    public static func load(path: String, environment: [String: String],
                            currentDirectory: String = FileManager.default.currentDirectoryPath,
                            registry: AdapterRegistry = .standard) -> Result<Configuration, ConfigurationError> {
        let context = ConfigurationContext(environment: environment, currentDirectory: currentDirectory)
        let filePath = context.resolve(path, against: currentDirectory)
        switch readFile(filePath) {
        case .failure(let issue):
            return .failure(ConfigurationError(file: path, issues: [issue]))
        case .success(let bytes):
            return parse(bytes, file: path, context: context, registry: registry)
        }
    }

    /// Parses and checks a document already in memory.
    public static func parse(_ bytes: [UInt8], file: String = "adapters.json", context: ConfigurationContext,
                             registry: AdapterRegistry = .standard) -> Result<Configuration, ConfigurationError> {
        let document: JSONValue
        do {
            document = try JSONParser(maxDepth: 64).parse(bytes)
        } catch {
            return .failure(ConfigurationError(file: file, issues: [ConfigIssue(syntaxError: error)]))
        }
        return read(document, file: file, context: context, registry: registry)
    }

    /// Checks a parsed document.
    public static func read(_ document: JSONValue, file: String = "adapters.json", context: ConfigurationContext,
                            registry: AdapterRegistry = .standard) -> Result<Configuration, ConfigurationError> {
        let reader = ConfigReader(root: document)
        guard reader.expectObject() else { return .failure(ConfigurationError(file: file, issues: reader.issues)) }

        let version = readVersion(reader)
        let store = StoreSettings.read(reader.object("store"), context: context)
        let (listeners, definedListeners) = readListeners(reader.object("listeners"), context: context)
        let limits = LimitSettings.read(reader.object("limits"))
        let ingest = IngestSettings.read(reader.object("ingest"))
        let log = LogSettings.read(reader.object("log"))
        let classifier = ClassifierSettings.read(reader.object("classifier"), context: context)
        let routing = RoutingConfiguration.read(from: reader)
        let shutdownTimeout = reader.duration("shutdown_timeout", default: .seconds(30), in: .zero ... .seconds(3600))
        let adapters = readAdapters(reader.object("adapters"), registry: registry)
        let outbox = OutboxSettings.read(reader.object("outbox"))
        let agentAPI = AgentAPISettings.read(reader.object("agent_api"), listeners: listeners)
        reader.reportUnknownKeys()

        checkListenerReferences(adapters, listeners: listeners, definedListeners: definedListeners)

        guard !reader.hasIssues, let version else { return .failure(ConfigurationError(file: file, issues: reader.issues)) }
        var configuration = Configuration(version: version, context: context, store: store,
                                          listeners: listeners.reduce(into: [:]) { $0[$1.name] = $1.settings },
                                          limits: limits, ingest: ingest, log: log, shutdownTimeout: shutdownTimeout,
                                          adapters: adapters.map(\.instance), classifier: classifier,
                                          routing: routing ?? .minimal, outbox: outbox)
        configuration.agentAPI = agentAPI
        return .success(configuration)
    }

    // MARK: Sections

    private static func readVersion(_ reader: ConfigReader) -> Int? {
        guard let version = reader.int("version", required: true, hint: "add \"version\": \(currentVersion)") else { return nil }
        guard version == currentVersion else {
            reader.report(.outOfRange, "unsupported version \(version)", hint: "this Switchboard reads version \(currentVersion)", key: "version")
            return nil
        }
        return version
    }

    private static func readFile(_ path: String) -> Result<[UInt8], ConfigIssue> {
        func unreadable(_ message: String, _ hint: String?) -> Result<[UInt8], ConfigIssue> {
            .failure(ConfigIssue(path: .root, code: .unreadable, message: message, hint: hint))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return unreadable("the file does not exist (looked for \(path))",
                              "give the path to adapters.json; the repository ships one at its top level")
        }
        if isDirectory.boolValue {
            return unreadable("is a directory", "give the path of the file itself, e.g. \(path)/adapters.json")
        }
        guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path) else {
            return unreadable("cannot be read (permission denied)", "the daemon's user needs read permission on the file")
        }
        return .success([UInt8](data))
    }

    /// The listeners that read cleanly, and the names of all entries (a broken listener is
    /// reported once, not again by every adapter that names it).
    private static func readListeners(_ reader: ConfigReader, context: ConfigurationContext)
        -> ([(name: String, settings: ListenerSettings)], Set<String>) {
        var listeners: [(name: String, settings: ListenerSettings)] = []
        let defined = Set(reader.keys)
        var unixPaths: [String: String] = [:]
        var tcpEndpoints: [String: String] = [:]
        for (name, entry) in reader.objectEntries() {
            let validName = AdapterInstance.isValidID(name)
            if !validName {
                reader.report(.invalidValue, "listener name \(ConfigReader.quote(name)) is not allowed",
                              hint: "names match \(ListenerSettings.namePattern), e.g. \"local\" or \"web\"", key: name)
            }
            guard entry.expectObject(), let settings = ListenerSettings.read(entry, context: context), validName else { continue }
            switch settings {
            case .unix(let unix):
                if let other = unixPaths[unix.path] {
                    entry.report(.conflict, "listeners \(other) and \(name) use the same socket path \(unix.path)",
                                 hint: "give each Unix listener its own path", key: "path")
                }
                unixPaths[unix.path] = name
            case .tcp(let tcp) where tcp.port != 0:
                let endpoint = "\(tcp.address) port \(tcp.port)"
                if let other = tcpEndpoints[endpoint] {
                    entry.report(.conflict, "listeners \(other) and \(name) both listen on \(endpoint)",
                                 hint: "give each TCP listener its own port", key: "port")
                }
                tcpEndpoints[endpoint] = name
            case .tcp:
                break
            }
            listeners.append((name, settings))
        }
        return (listeners, defined)
    }

    private struct ParsedAdapter {
        var instance: AdapterInstance
        var reader: ConfigReader
    }

    private static func readAdapters(_ reader: ConfigReader, registry: AdapterRegistry) -> [ParsedAdapter] {
        var adapters: [ParsedAdapter] = []
        let knownTypes = registry.names.joined(separator: ", ")
        for (id, entry) in reader.objectEntries() {
            if !AdapterInstance.isValidID(id) {
                reader.report(.invalidValue, "adapter id \(ConfigReader.quote(id)) is not allowed",
                              hint: "ids match [a-z0-9][a-z0-9_-]{0,63}, e.g. \"support-mail\"", key: id)
            }
            guard entry.expectObject() else { continue }
            guard let typeName = entry.string("type", required: true, hint: "the adapter type; known types: \(knownTypes)") else {
                continue
            }
            guard let type = registry.type(named: typeName) else {
                let suggestion = KeySuggestion.closest(to: typeName, in: registry.names).map { "did you mean \(ConfigReader.quote($0))? " } ?? ""
                entry.report(.notAllowed, "unknown adapter type \(ConfigReader.quote(typeName))",
                             hint: suggestion + "known types: \(knownTypes)", key: "type")
                continue
            }
            let enabled = entry.bool("enabled", default: true)
            let settings = type.parseSettings(entry)
            entry.reportUnknownKeys()
            guard let settings, let value = entry.value, AdapterInstance.isValidID(id) else { continue }
            let instance = AdapterInstance(id: id, type: type, enabled: enabled, settings: settings, canonicalJSON: value.canonicalBytes)
            adapters.append(ParsedAdapter(instance: instance, reader: entry))
        }
        return adapters
    }

    private static func checkListenerReferences(_ adapters: [ParsedAdapter], listeners: [(name: String, settings: ListenerSettings)],
                                                definedListeners: Set<String>) {
        let names = listeners.map(\.name)
        for adapter in adapters {
            for reference in adapter.instance.settings.listenerReferences {
                guard let listener = listeners.first(where: { $0.name == reference.name }) else {
                    if definedListeners.contains(reference.name) { continue }
                    let matching = listeners.filter { $0.settings.kind == reference.kind }.map(\.name)
                    let hint: String
                    if let suggestion = KeySuggestion.closest(to: reference.name, in: names) {
                        hint = "did you mean \(ConfigReader.quote(suggestion))?"
                    } else if matching.isEmpty {
                        hint = "define it under listeners, e.g. \"\(reference.name)\": {\"type\": \"\(reference.kind.rawValue)\"}"
                    } else {
                        hint = "\(reference.kind.rawValue) listeners: " + matching.joined(separator: ", ")
                    }
                    adapter.reader.report(.unknownReference, "no listener named \(ConfigReader.quote(reference.name))", hint: hint, key: reference.key)
                    continue
                }
                if listener.settings.kind != reference.kind {
                    adapter.reader.report(.unknownReference,
                                          "listener \(ConfigReader.quote(reference.name)) is a \(listener.settings.kind.rawValue) listener; this adapter needs a \(reference.kind.rawValue) listener",
                                          hint: nil, key: reference.key)
                }
            }
        }
    }
}
