import Foundation
import Testing
import SwitchboardChannels
import SwitchboardCore
@testable import SwitchboardDaemon

/// The repository's top-level directory, found from this file's path.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private let plainContext = ConfigurationContext(baseDirectory: "/srv/switchboard")

private func load(_ json: String, context: ConfigurationContext = plainContext,
                  registry: AdapterRegistry = .standard) -> Result<Configuration, ConfigurationError> {
    Configuration.parse(Array(json.utf8), context: context, registry: registry)
}

private func issueLines(registry: AdapterRegistry = .standard, _ json: String) -> [String] {
    switch load(json, registry: registry) {
    case .success: return []
    case .failure(let error): return error.lines
    }
}

private let minimal = """
{"version": 1, "listeners": {"local": {"type": "unix"}}, "adapters": {"local": {"type": "local"}}}
"""

/// A made-up adapter type with a secret and a TCP listener, standing in for the channels to come.
private struct StubWebhookSettings: AdapterSettings {
    var listener: String
    var token: SecretReference?
    var listenerReferences: [ListenerReference] { [ListenerReference(key: "listener", name: listener, kind: .tcp)] }
}

private let stubRegistry = AdapterRegistry(types: [
    LocalAdapterSettings.adapterType,
    AdapterType(name: "webhook", channel: .sms, summary: "test stub") { reader in
        StubWebhookSettings(listener: reader.string("listener", default: "web"), token: reader.secret("token", required: true))
    },
])

@Suite struct ConfigurationTests {
    @Test func theShippedFileLoadsOnAFreshMachine() throws {
        let path = repositoryRoot.appendingPathComponent("adapters.json").path
        let configuration = try Configuration.load(path: path, environment: [:], currentDirectory: "/home/admin/switchboard").get()
        #expect(configuration.store.path == "/home/admin/switchboard/var/switchboard.db")
        #expect(configuration.listeners["local"] == .unix(UnixListenerSettings(path: "/home/admin/switchboard/var/run/ingest.sock", mode: 0o660)))
        #expect(configuration.adapters.map(\.id) == ["local"])
        let local = try #require(configuration.adapter(id: "local"))
        #expect(local.enabled)
        #expect(local.type.name == "local")
        #expect(local.channel == .other)
        #expect(local.settings(as: LocalAdapterSettings.self) == LocalAdapterSettings())
        #expect(configuration.log.level == .info)

        var output: [String] = []
        var errors: [String] = []
        let status = checkConfig(path: path, environment: [:], currentDirectory: "/tmp",
                                 standardOutput: { output.append($0) }, standardError: { errors.append($0) })
        #expect(status == 0)
        #expect(output == ["OK: 1 adapter, 1 listener"])
        #expect(errors.isEmpty)
    }

    @Test func theCompleteExampleInTheDocsLoads() throws {
        let docs = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let section = try #require(docs.range(of: "## A complete example"))
        let rest = docs[section.upperBound...]
        let start = try #require(rest.range(of: "```json\n"))
        let end = try #require(rest[start.upperBound...].range(of: "```"))
        let configuration = try load(String(rest[start.upperBound..<end.lowerBound])).get()
        #expect(configuration.adapters.map(\.id) == ["local", "crm"])
        #expect(configuration.listeners.count == 2)
    }

    @Test func everyKeyIsRead() throws {
        let configuration = try load("""
        {
          "version": 1,
          "store": {"path": "/var/lib/sb/sb.db", "synchronous": "normal", "continuation_window": "72h"},
          "listeners": {
            "local": {"type": "unix", "path": "run/in.sock", "mode": "0600"},
            "web": {"type": "tcp", "address": "::1", "port": 8080, "trusted_proxies": ["127.0.0.1", "10.0.0.0/8", "fd00::/8"],
                    "public_url": "https://support.example.com"}
          },
          "limits": {"max_header_bytes": "32KiB", "max_body_bytes": "4MiB", "max_connections": 100, "idle_timeout": "2m", "read_timeout": "10s"},
          "ingest": {"backlog_budget": 500, "retry_after": "3s"},
          "log": {"level": "debug"},
          "shutdown_timeout": "45s",
          "adapters": {
            "crm": {"type": "local", "enabled": false, "listener": "local", "channels": ["email", "web"],
                    "default_channel": "web", "max_body": "64KiB"}
          }
        }
        """).get()
        #expect(configuration.store == StoreSettings(path: "/var/lib/sb/sb.db", synchronous: .normal, continuationWindow: .seconds(72 * 3600)))
        #expect(configuration.listeners["local"] == .unix(UnixListenerSettings(path: "/srv/switchboard/run/in.sock", mode: 0o600)))
        #expect(configuration.listeners["web"] == .tcp(TCPListenerSettings(address: "::1", port: 8080,
                                                                          trustedProxies: ["127.0.0.1", "10.0.0.0/8", "fd00::/8"],
                                                                          publicURL: "https://support.example.com")))
        #expect(configuration.limits == LimitSettings(maxHeaderBytes: 32 << 10, maxBodyBytes: 4 << 20, maxConnections: 100,
                                                      idleTimeout: .seconds(120), readTimeout: .seconds(10)))
        #expect(configuration.ingest == IngestSettings(backlogBudget: 500, retryAfter: .seconds(3)))
        #expect(configuration.log.level == .debug)
        #expect(configuration.shutdownTimeout == .seconds(45))
        let crm = try #require(configuration.adapter(id: "crm"))
        #expect(!crm.enabled)
        #expect(crm.channel == .web)
        #expect(crm.settings(as: LocalAdapterSettings.self) == LocalAdapterSettings(listener: "local", channels: [.email, .web],
                                                                                    defaultChannel: .web, maxBody: 64 << 10))
    }

    @Test func aFileWithManyMistakesReportsAllOfThem() {
        // A registry of the local type only, so adding channels does not change the hints.
        let localOnly = AdapterRegistry(types: [LocalAdapterSettings.adapterType])
        let lines = issueLines(registry: localOnly, """
        {
          "version": 1,
          "store": {"path": "db.sqlite", "synchronous": "fast", "continuation_window": "2 days"},
          "listeners": {
            "local": {"type": "unix", "mode": 660},
            "web": {"type": "tcp", "port": 70000},
            "Bad Name": {"type": "unix", "path": "other.sock"}
          },
          "limits": {"max_body_bytes": "1 megabyte"},
          "ingest": {"backlog_budget": "lots"},
          "log": {"level": "verbose"},
          "shutdown_timout": "10s",
          "adapters": {
            "local": {"type": "local", "max_bodyy": "2MiB", "listener": "web"},
            "imap-main": {"type": "imap", "host": "mail.example.com"},
            "sms": {"type": "locl"},
            "notype": {"enabled": true},
            "Support": {"type": "local", "channels": ["email", "fax"]}
          }
        }
        """)
        #expect(lines == [
            "store.synchronous: \"fast\" is not one of \"full\", \"normal\"",
            "store.continuation_window: \"2 days\" is not a duration (write it like \"30s\", \"5m\", \"1h30m\", \"250ms\", or a number of seconds)",
            "listeners.local.mode: expected a file mode string, found a number (write the mode as an octal string in quotes, like \"0660\")",
            "listeners.web.port: must be between 0 and 65535, found 70000",
            "listeners[\"Bad Name\"]: listener name \"Bad Name\" is not allowed (names match [a-z0-9][a-z0-9_-]{0,63}, e.g. \"local\" or \"web\")",
            "limits.max_body_bytes: \"1 megabyte\" is not a size (write it like \"512\", \"16KiB\", \"1MiB\", \"2GiB\" (or kB, MB, GB for powers of 1000))",
            "ingest.backlog_budget: expected a number, found a string",
            "log.level: \"verbose\" is not one of \"error\", \"warning\", \"notice\", \"info\", \"debug\"",
            "adapters.local.max_bodyy: unknown key (did you mean 'max_body'?)",
            "adapters.imap-main.type: unknown adapter type \"imap\" (known types: local)",
            "adapters.sms.type: unknown adapter type \"locl\" (did you mean \"local\"? known types: local)",
            "adapters.notype.type: missing required key (the adapter type; known types: local)",
            "adapters.Support: adapter id \"Support\" is not allowed (ids match [a-z0-9][a-z0-9_-]{0,63}, e.g. \"support-mail\")",
            "adapters.Support.channels[1]: \"fax\" is not allowed here (allowed: email, sms, chat, social, voice, web, other)",
            "shutdown_timout: unknown key (did you mean 'shutdown_timeout'?)",
        ])
    }

    @Test func listenerCrossChecks() {
        #expect(issueLines("""
        {"version": 1, "listeners": {"ingest": {"type": "unix"}}, "adapters": {"local": {"type": "local"}}}
        """) == ["adapters.local.listener: no listener named \"local\" (unix listeners: ingest)"])

        #expect(issueLines("""
        {"version": 1, "listeners": {"locall": {"type": "unix"}}, "adapters": {"local": {"type": "local", "listener": "local"}}}
        """) == ["adapters.local.listener: no listener named \"local\" (did you mean \"locall\"?)"])

        #expect(issueLines("""
        {"version": 1, "adapters": {"local": {"type": "local"}}}
        """) == ["adapters.local.listener: no listener named \"local\" (define it under listeners, e.g. \"local\": {\"type\": \"unix\"})"])

        #expect(issueLines("""
        {"version": 1, "listeners": {"local": {"type": "tcp", "port": 9000}}, "adapters": {"local": {"type": "local"}}}
        """) == ["adapters.local.listener: listener \"local\" is a tcp listener; this adapter needs a unix listener"])

        #expect(issueLines("""
        {"version": 1, "listeners": {"a": {"type": "unix"}, "b": {"type": "unix", "path": "./var/run/ingest.sock"}}}
        """) == ["listeners.b.path: listeners a and b use the same socket path /srv/switchboard/var/run/ingest.sock (give each Unix listener its own path)"])

        #expect(issueLines("""
        {"version": 1, "listeners": {"a": {"type": "tcp", "port": 8080}, "b": {"type": "tcp", "port": 8080, "address": "127.0.0.1"},
                                      "c": {"type": "tcp", "port": 0}, "d": {"type": "tcp", "port": 0}}}
        """) == ["listeners.b.port: listeners a and b both listen on 127.0.0.1 port 8080 (give each TCP listener its own port)"])

        #expect(issueLines("""
        {"version": 1, "listeners": {"web": {"type": "tcp", "address": "localhost", "port": 80, "trusted_proxies": ["10.0.0.0/33", "proxy"],
                                             "public_url": "support.example.com", "tls": true}, "x": {"type": "udp"}}}
        """) == [
            "listeners.web.address: \"localhost\" is not an IP address (an address such as 127.0.0.1, 0.0.0.0, ::1 or ::)",
            "listeners.web.trusted_proxies[0]: \"10.0.0.0/33\" is not an IP address or range (an address like 10.0.0.5 or a range like 10.0.0.0/8 or fd00::/8)",
            "listeners.web.trusted_proxies[1]: \"proxy\" is not an IP address or range (an address like 10.0.0.5 or a range like 10.0.0.0/8 or fd00::/8)",
            "listeners.web.public_url: \"support.example.com\" is not an http(s) URL (the URL providers call, such as https://support.example.com, without query)",
            "listeners.web.tls: unknown key (allowed keys: type, address, port, trusted_proxies, public_url, max_connections_per_client, connections_per_second_per_client, event_loops)",
            "listeners.x.type: \"udp\" is not one of \"unix\", \"tcp\" (did you mean \"tcp\"?)",
        ])
    }

    @Test func unixSocketPathsMustFitTheKernelLimit() {
        let long = "/" + String(repeating: "d", count: 120) + "/ingest.sock"
        let lines = issueLines("{\"version\": 1, \"listeners\": {\"local\": {\"type\": \"unix\", \"path\": \"\(long)\"}}}")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("listeners.local.path: the socket path /ddd") == true)
        #expect(lines.first?.contains("at most 107") == true)
    }

    @Test(arguments: [
        // (environment, current directory, store path, default socket path)
        ([String: String](), "/home/admin/sb", "/home/admin/sb/var/switchboard.db", "/home/admin/sb/var/run/ingest.sock"),
        (["STATE_DIRECTORY": "/var/lib/switchboard"], "/", "/var/lib/switchboard/var/switchboard.db", "/var/lib/switchboard/var/run/ingest.sock"),
        (["RUNTIME_DIRECTORY": "/run/switchboard"], "/home/admin/sb", "/home/admin/sb/var/switchboard.db", "/run/switchboard/ingest.sock"),
        (["STATE_DIRECTORY": "/var/lib/switchboard:/var/lib/other", "RUNTIME_DIRECTORY": "/run/switchboard:/run/x"], "/",
         "/var/lib/switchboard/var/switchboard.db", "/run/switchboard/ingest.sock"),
    ])
    func defaultsFollowTheSystemdDirectories(environment: [String: String], currentDirectory: String, store: String, socket: String) throws {
        let context = ConfigurationContext(environment: environment, currentDirectory: currentDirectory)
        let configuration = try load(minimal, context: context).get()
        #expect(configuration.store.path == store)
        #expect(configuration.listeners["local"] == .unix(UnixListenerSettings(path: socket, mode: 0o660)))
    }

    @Test func absolutePathsStayAsWritten() throws {
        let context = ConfigurationContext(environment: ["STATE_DIRECTORY": "/var/lib/sb", "RUNTIME_DIRECTORY": "/run/sb"], currentDirectory: "/")
        let configuration = try load("""
        {"version": 1, "store": {"path": "/data/sb.db"}, "listeners": {"local": {"type": "unix", "path": "/tmp/sb.sock"}}}
        """, context: context).get()
        #expect(configuration.store.path == "/data/sb.db")
        #expect(configuration.listeners["local"] == .unix(UnixListenerSettings(path: "/tmp/sb.sock")))
    }

    @Test func versionAndDocumentShape() {
        #expect(issueLines("{}") == ["version: missing required key (add \"version\": 1)"])
        #expect(issueLines("{\"version\": 2}") == ["version: unsupported version 2 (this Switchboard reads version 1)"])
        #expect(issueLines("[1]") == ["(top level): expected an object, found an array"])
        #expect(issueLines("{\"version\": 1, \"adapters\": []}") == ["adapters: expected an object, found an array"])
    }

    @Test func syntaxErrorsGiveFileLineAndColumn() throws {
        let error = try #require(load("{\n  \"version\": 1\n  \"adapters\": {}\n}").failure)
        #expect(error.issues.count == 1)
        #expect(error.issues.first?.code == .syntax)
        #expect(error.lines == ["adapters.json:3:3: expected ',' or '}' after object member, found '\"'"])

        let nested = try #require(load("{\"version\": 1, \"adapters\": {\"local\": {\"type\": \"local\",}}}").failure)
        #expect(nested.lines == ["adapters.json:1:55: expected a key in double quotes after ',', found '}' (a trailing comma is not allowed) (in adapters.local)"])
    }

    @Test func missingAndUnreadableFilesSayWhatToDo() throws {
        let missing = try #require(Configuration.load(path: "nope/adapters.json", environment: [:], currentDirectory: "/nonexistent").failure)
        #expect(missing.issues.map(\.code) == [.unreadable])
        #expect(missing.lines == ["nope/adapters.json: the file does not exist (looked for /nonexistent/nope/adapters.json) (give the path to adapters.json; the repository ships one at its top level)"])

        let directory = try #require(Configuration.load(path: "/tmp", environment: [:]).failure)
        #expect(directory.lines.first?.hasPrefix("/tmp: is a directory") == true)

        var errors: [String] = []
        let status = checkConfig(path: "/nonexistent/adapters.json", environment: [:], standardOutput: { _ in }, standardError: { errors.append($0) })
        #expect(status == 1)
        #expect(errors.last == "/nonexistent/adapters.json: 1 problem; the configuration was not loaded")
    }

    @Test func checkConfigPrintsEveryIssueToStandardError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("adapters.json")
        try Data("""
        {"version": 1, "listeners": {"local": {"type": "unix"}},
         "adapters": {"local": {"type": "local", "max_bodyy": "2MiB"}, "other": {"type": "local", "enabled": "no"}}}
        """.utf8).write(to: file)
        var output: [String] = []
        var errors: [String] = []
        let status = checkConfig(path: file.path, environment: [:], standardOutput: { output.append($0) }, standardError: { errors.append($0) })
        #expect(status == 1)
        #expect(output.isEmpty)
        #expect(errors == [
            "adapters.local.max_bodyy: unknown key (did you mean 'max_body'?)",
            "adapters.other.enabled: expected true or false, found a string",
            "\(file.path): 2 problems; the configuration was not loaded",
        ])
    }

    @Test func adapterSecretsMustBeReferencesAndNeverEchoed() {
        let lines = issueLines(registry: stubRegistry, """
        {"version": 1, "listeners": {"web": {"type": "tcp", "port": 8080}},
         "adapters": {"sms": {"type": "webhook", "token": "AC8f3e9-super-secret"}, "ok": {"type": "webhook", "token": "credential:twilio"},
                      "nolistener": {"type": "webhook", "listener": "local", "token": "env:TOKEN"}}}
        """)
        #expect(lines == [
            "adapters.sms.token: secrets must not be inline; use env:NAME, file:PATH or credential:NAME (put the secret in a file or the service environment and refer to it)",
            "adapters.nolistener.listener: no listener named \"local\" (tcp listeners: web)",
        ])
        #expect(lines.allSatisfy { !$0.contains("super-secret") })
    }

    @Test func tcpListenersHavePerClientLimits() throws {
        let configuration = try load("""
        {"version": 1, "listeners": {"local": {"type": "unix"}, "web": {"type": "tcp", "port": 8080,
          "max_connections_per_client": 8, "connections_per_second_per_client": 20}},
         "adapters": {"local": {"type": "local"}}}
        """).get()
        guard case .tcp(let web)? = configuration.listeners["web"] else { Issue.record("no tcp listener"); return }
        #expect(web.maxConnectionsPerClient == 8)
        #expect(web.connectionsPerSecondPerClient == 20)
        #expect(issueLines("""
        {"version": 1, "listeners": {"web": {"type": "tcp", "port": 8080, "max_connections_per_client": 0}}}
        """).first?.hasPrefix("listeners.web.max_connections_per_client:") == true)
    }

    @Test func listenersTakeTheirNumberOfEventLoops() throws {
        let configuration = try load("""
        {"version": 1, "listeners": {"local": {"type": "unix", "event_loops": 1}, "web": {"type": "tcp", "port": 8080, "event_loops": 3},
          "api": {"type": "tcp", "port": 8081}},
         "adapters": {"local": {"type": "local"}}}
        """).get()
        #expect(configuration.listeners["local"]?.eventLoops == 1)
        #expect(configuration.listeners["web"]?.eventLoops == 3)
        #expect(configuration.listeners["api"]?.eventLoops == nil)
        #expect(issueLines("""
        {"version": 1, "listeners": {"local": {"type": "unix", "event_loops": 0}, "web": {"type": "tcp", "port": 8080, "event_loops": 65},
          "api": {"type": "tcp", "port": 8081, "event_loops": "2"}}}
        """) == [
            "listeners.local.event_loops: must be between 1 and 64, found 0",
            "listeners.web.event_loops: must be between 1 and 64, found 65",
            "listeners.api.event_loops: expected a number, found a string (write the number without quotes)",
        ])
    }

    @Test func classifierSectionIsReadAndChecked() throws {
        let configuration = try load("""
        {"version": 1, "listeners": {"local": {"type": "unix"}}, "adapters": {"local": {"type": "local"}},
         "classifier": {"confidence_threshold": 0.55,
                        "rules": [{"id": "gdpr", "type": "account_access", "phrases": ["delete my data"], "channels": ["email"]}]}}
        """).get()
        #expect(configuration.classifier.enabled)
        #expect(configuration.classifier.configuration.confidenceThreshold == 0.55)
        #expect(configuration.classifier.configuration.rules.map(\.id) == ["gdpr"])
        #expect(configuration.classifier.configuration.rules.first?.channels == [.email])
        let lines = issueLines("""
        {"version": 1, "classifier": {"confidence_threshold": 2, "model": "/nonexistent/model.sbcm",
          "rules": [{"id": "a", "type": "refunds", "phrases": ["x"]}, {"id": "a", "type": "billing"}, {"id": "b", "type": "billing", "patterns": ["(unclosed"]}],
          "thresold": 1}}
        """)
        #expect(lines.contains { $0.hasPrefix("classifier.confidence_threshold: must be a number from 0 to 1") })
        #expect(lines.contains { $0.hasPrefix("classifier.model: model file /nonexistent/model.sbcm cannot be read") })
        #expect(lines.contains { $0.hasPrefix("classifier.rules[0].type: inquiry type \"refunds\" is not in the taxonomy") })
        #expect(lines.contains { $0.hasPrefix("classifier.rules[1]: a rule needs phrases or patterns") })
        #expect(lines.contains { $0.hasPrefix("classifier.rules[1].id: rule id \"a\" is used twice") })
        #expect(lines.contains { $0.hasPrefix("classifier.rules[2].patterns: patterns[0] is not a valid regular expression") })
        #expect(lines.contains { $0.hasPrefix("classifier.thresold: unknown key") })
    }

    @Test func frustrationSettingsAreReadAndChecked() throws {
        let defaults = try load(minimal).get().classifier
        #expect(defaults.repeatedContactWindow == .seconds(86_400))
        #expect(defaults.maxTrackedSenders == 100_000)
        #expect(defaults.configuration.frustration.repeatedContactThreshold == 3)
        let configuration = try load("""
        {"version": 1, "listeners": {"local": {"type": "unix"}}, "adapters": {"local": {"type": "local"}},
         "classifier": {"frustration": {"repeated_contact_threshold": 2, "repeated_contact_window": "2h",
                                        "max_tracked_senders": 5000, "extra_angry_phrases": ["class action"]}}}
        """).get().classifier
        #expect(configuration.repeatedContactWindow == .seconds(7200))
        #expect(configuration.maxTrackedSenders == 5000)
        #expect(configuration.configuration.frustration.repeatedContactThreshold == 2)
        #expect(configuration.configuration.frustration.extraAngryPhrases == ["class action"])
        let lines = issueLines("""
        {"version": 1, "classifier": {"frustration": {"repeated_contact_window": "forever", "repeated_contact_threshold": 0,
                                                      "max_tracked_senders": 0, "repeated_contacts": 3}}}
        """)
        #expect(lines.contains { $0.hasPrefix("classifier.frustration.repeated_contact_window:") && $0.contains("not a duration") })
        #expect(lines.contains { $0.hasPrefix("classifier.frustration.repeated_contact_threshold: must be between 1 and 8") })
        #expect(lines.contains { $0.hasPrefix("classifier.frustration.max_tracked_senders: must be between 1 and 10000000") })
        #expect(lines.contains { $0.hasPrefix("classifier.frustration.repeated_contacts: unknown key") })
        #expect(issueLines("""
        {"version": 1, "classifier": {"frustration": {"repeated_contact_window": "0s"}}}
        """).contains { $0.hasPrefix("classifier.frustration.repeated_contact_window: must be between 1s and 30d") })
    }

    @Test func registeredTypesAreExplicit() {
        let names = AdapterRegistry.standard.names
        #expect(names.first == "local")
        #expect(Set(names).count == names.count, "type names are unique")
        #expect(AdapterRegistry.standard.type(named: "local")?.channel == .other)
        #expect(AdapterRegistry.standard.type(named: "no-such-type") == nil)
    }

    @Test(arguments: ["local", "support-mail", "a", "0", "sms_2", String(repeating: "a", count: 64)])
    func validAdapterIDs(id: String) { #expect(AdapterInstance.isValidID(id)) }

    @Test(arguments: ["", "Local", "-x", "_x", "a.b", "a b", "é", String(repeating: "a", count: 65)])
    func invalidAdapterIDs(id: String) { #expect(!AdapterInstance.isValidID(id)) }
}

@Suite struct ConfigurationReloadTests {
    private let base = """
    {"version": 1, "listeners": {"local": {"type": "unix"}, "web": {"type": "tcp", "port": 8080}},
     "adapters": {"local": {"type": "local", "max_body": "1MiB"}, "crm": {"type": "local", "channels": ["email"]}}}
    """

    @Test func formattingAndKeyOrderAreNotChanges() throws {
        let old = try load(base).get()
        let new = try load("""
        {
          "adapters": {
            "crm": {"channels": ["email"], "type": "local"},
            "local": {"max_body": "1MiB", "type": "local"}
          },
          "listeners": {"web": {"port": 8080, "type": "tcp"}, "local": {"type": "unix"}},
          "version": 1
        }
        """).get()
        let changes = ConfigurationChanges(from: old, to: new)
        #expect(changes.isEmpty)
        #expect(changes.unchangedAdapters == ["crm", "local"])
    }

    @Test func onlyChangedAdaptersRestart() throws {
        let old = try load(base).get()
        let new = try load("""
        {"version": 1, "listeners": {"local": {"type": "unix"}, "web": {"type": "tcp", "port": 8080}},
         "log": {"level": "debug"},
         "adapters": {"local": {"type": "local", "max_body": "2MiB"}, "crm": {"type": "local", "channels": ["email"]},
                      "batch": {"type": "local", "enabled": false}}}
        """).get()
        let changes = ConfigurationChanges(from: old, to: new)
        #expect(changes.changedAdapters == ["local"])
        #expect(changes.unchangedAdapters == ["crm"])
        #expect(changes.addedAdapters == ["batch"])
        #expect(changes.removedAdapters.isEmpty)
        #expect(changes.changedSections == ["log"])
        #expect(changes.needsRestart.isEmpty)
    }

    @Test func aChangedListenerRestartsItsAdapters() throws {
        let old = try load(base).get()
        let new = try load("""
        {"version": 1, "store": {"path": "elsewhere.db"}, "listeners": {"local": {"type": "unix", "mode": "0600"}},
         "adapters": {"local": {"type": "local", "max_body": "1MiB"}}}
        """).get()
        let changes = ConfigurationChanges(from: old, to: new)
        #expect(changes.changedListeners == ["local"])
        #expect(changes.removedListeners == ["web"])
        #expect(changes.changedAdapters == ["local"])
        #expect(changes.removedAdapters == ["crm"])
        #expect(changes.changedSections == ["store"])
        #expect(changes.needsRestart.count == 1)
    }

    @Test func keysOnlyARestartAppliesAreNamedWithBothValues() throws {
        let old = try load(base).get()
        let new = try load("""
        {"version": 1, "listeners": {"local": {"type": "unix"}, "web": {"type": "tcp", "port": 8080}},
         "outbox": {"workers": 8, "per_adapter": 3}, "agent_api": {"max_event_streams": 50},
         "adapters": {"local": {"type": "local", "max_body": "1MiB"}, "crm": {"type": "local", "channels": ["email"]}}}
        """).get()
        let changes = ConfigurationChanges(from: old, to: new)
        #expect(changes.changedSections == ["outbox", "agent_api"])
        #expect(changes.needsRestart == [
            RestartOnlyChange(key: "outbox.workers", running: "4", configured: "8"),
            RestartOnlyChange(key: "agent_api.max_event_streams", running: "1000", configured: "50"),
        ])
        #expect(changes.needsRestart[0].description
            == "outbox.workers changed from 4 to 8, which only a restart applies; 4 stays in force until then")
        // per_adapter applies on reload: not listed.
        #expect(!changes.needsRestart.contains { $0.key == "outbox.per_adapter" })
    }

    @Test func restartOnlyKeysAreComparedWithTheValuesInForce() throws {
        let started = try load(base).get()
        let inForce = RestartOnlySettings(started)
        let eight = try load(base.replacingOccurrences(of: #""version": 1,"#, with: #""version": 1, "outbox": {"workers": 8},"#)).get()
        // A second reload of the same file still says the restart is pending ...
        let again = ConfigurationChanges(from: eight, to: eight, inForce: inForce)
        #expect(again.needsRestart.map(\.key) == ["outbox.workers"])
        // ... and a file changed back to the running value says nothing.
        let back = ConfigurationChanges(from: eight, to: started, inForce: inForce)
        #expect(back.needsRestart.isEmpty)
        #expect(back.changedSections == ["outbox"])
    }

    @Test func theStoresOwnKeysNeedARestart() throws {
        let old = try load(base).get()
        let new = try load(base.replacingOccurrences(of: #""version": 1,"#,
                                                     with: #""version": 1, "store": {"synchronous": "normal", "continuation_window": "2h"},"#)).get()
        #expect(ConfigurationChanges(from: old, to: new).needsRestart == [
            RestartOnlyChange(key: "store.synchronous", running: "full", configured: "normal"),
            RestartOnlyChange(key: "store.continuation_window", running: "1d", configured: "2h"),
        ])
    }

    @Test func aBadNewFileLeavesNothingToApply() {
        // The reload path: a new file that fails to load is reported and the old configuration stays.
        #expect(load("{\"version\": 1, \"adapters\": {\"local\": {\"type\": \"local\", \"max_body\": \"huge\"}}}").failure != nil)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
