import Foundation
import Testing
@testable import SwitchboardCore

/// Reads `json` with `body` and returns the issues as `path: message (hint)` lines.
private func issues(_ json: String, _ body: (ConfigReader) -> Void) throws -> [ConfigIssue] {
    let reader = ConfigReader(root: try JSONParser().parse(json))
    body(reader)
    return reader.issues
}

@Suite struct ConfigReaderTests {
    @Test func missingRequiredKey() throws {
        let found = try issues(#"{"listeners": {"web": {}}}"#) { reader in
            let web = reader.object("listeners").object("web")
            #expect(web.int("port", required: true, hint: "a port number such as 8080") == nil)
            #expect(reader.object("store").string("path", required: true) == nil)
        }
        #expect(found.map(\.description) == [
            "listeners.web.port: missing required key (a port number such as 8080)",
            "store.path: missing required key",
        ])
        #expect(found.map(\.code) == [.missing, .missing])
    }

    @Test func wrongTypeNamesExpectedAndFound() throws {
        let found = try issues(#"{"port": "8080", "name": 5, "on": "true", "list": "email", "section": [1]}"#) { reader in
            _ = reader.int("port")
            _ = reader.string("name")
            _ = reader.bool("on")
            _ = reader.stringList("list")
            _ = reader.object("section").string("inner", required: true)
        }
        #expect(found.map(\.description) == [
            "port: expected a number, found a string (write the number without quotes)",
            "name: expected a string, found a number",
            "on: expected true or false, found a string (write true or false without quotes)",
            "list: expected an array of strings, found a string (write a list: [\"email\"])",
            "section: expected an object, found an array",
        ])
        #expect(found.allSatisfy { $0.code == .wrongType })
    }

    @Test func outOfRange() throws {
        let found = try issues(#"{"port": 70000, "workers": 2.5, "timeout": "2h", "size": "2GiB"}"#) { reader in
            #expect(reader.int("port", in: 0...65_535) == nil)
            #expect(reader.int("workers", default: 4) == 4)
            #expect(reader.duration("timeout", default: .seconds(5), in: .seconds(1) ... .seconds(3600)) == .seconds(5))
            _ = reader.byteSize("size", in: 1024...(1 << 30))
        }
        #expect(found.map(\.description) == [
            "port: must be between 0 and 65535, found 70000",
            "workers: expected a whole number, found 2.5",
            "timeout: must be between 1s and 1h, found 2h",
            "size: must be between 1 KiB and 1 GiB, found 2 GiB",
        ])
        #expect(found.map(\.code) == [.outOfRange, .wrongType, .outOfRange, .outOfRange])
    }

    @Test(arguments: [
        ("\"30s\"", Duration.seconds(30)), ("\"5m\"", .seconds(300)), ("\"1h30m\"", .seconds(5400)),
        ("\"250ms\"", .milliseconds(250)), ("\"2d\"", .seconds(172_800)), ("\"1.5h\"", .seconds(5400)),
        ("\"1m30s500ms\"", .milliseconds(90_500)), ("\"0\"", .zero), ("45", .seconds(45)), ("0.25", .milliseconds(250)),
    ])
    func readsDurations(json: String, expected: Duration) throws {
        let found = try issues("{\"d\": \(json)}") { reader in
            #expect(reader.duration("d") == expected)
        }
        #expect(found.isEmpty)
    }

    @Test(arguments: ["\"5 minutes\"", "\"30\"", "\"1m1h\"", "\"1h1h\"", "\"-5s\"", "\"s\"", "\"1.s\"", "\"10us\"", "-3", "\"\""])
    func rejectsBadDurations(json: String) throws {
        let found = try issues("{\"interval\": \(json)}") { reader in
            #expect(reader.duration("interval", default: .seconds(60)) == .seconds(60))
        }
        #expect(found.count == 1)
        #expect(found.first?.code == .badDuration || found.first?.code == .invalidValue)
        #expect(found.first?.path.description == "interval")
        #expect(found.first?.hint?.contains("1h30m") == true)
    }

    @Test(arguments: [
        ("\"1MiB\"", 1 << 20), ("\"16KiB\"", 16 << 10), ("\"512\"", 512), ("\"512B\"", 512), ("\"2 GiB\"", 2 << 30),
        ("\"10MB\"", 10_000_000), ("\"100kB\"", 100_000), ("\"1.5KiB\"", 1536), ("\"1mib\"", 1 << 20), ("4096", 4096),
    ])
    func readsByteSizes(json: String, expected: Int) throws {
        let found = try issues("{\"max_body\": \(json)}") { reader in
            #expect(reader.byteSize("max_body") == expected)
        }
        #expect(found.isEmpty)
    }

    @Test(arguments: ["\"1 megabyte\"", "\"1M\"", "\"MiB\"", "\"-1\"", "\"1.5.5KiB\"", "-5", "1.5", "\"99999999999999999999\""])
    func rejectsBadSizes(json: String) throws {
        let found = try issues("{\"max_body\": \(json)}") { reader in
            #expect(reader.byteSize("max_body", default: 7) == 7)
        }
        #expect(found.count == 1)
        #expect(found.first?.code == .badSize)
        #expect(found.first?.description.hasPrefix("max_body: ") == true)
    }

    @Test func fileModes() throws {
        let found = try issues(#"{"a": "0660", "b": "600", "c": "0999", "d": 660, "e": "rw-rw----"}"#) { reader in
            #expect(reader.fileMode("a") == 0o660)
            #expect(reader.fileMode("b") == 0o600)
            #expect(reader.fileMode("c", default: 0o640) == 0o640)
            #expect(reader.fileMode("d") == nil)
            #expect(reader.fileMode("e") == nil)
        }
        #expect(found.map(\.description) == [
            "c: \"0999\" is not a file mode (write octal permissions like \"0660\" or \"0600\")",
            "d: expected a file mode string, found a number (write the mode as an octal string in quotes, like \"0660\")",
            "e: \"rw-rw----\" is not a file mode (write octal permissions like \"0660\" or \"0600\")",
        ])
        #expect(found.map(\.code) == [.badMode, .wrongType, .badMode])
    }

    @Test func secretsMustBeReferences() throws {
        let found = try issues(#"{"a": "env:IMAP_PASSWORD", "b": "file:/etc/switchboard/token", "c": "credential:twilio-token", "d": "hunter2", "e": "env:1BAD", "f": "file:relative/path", "g": 12345}"#) { reader in
            #expect(reader.secret("a") == .environment("IMAP_PASSWORD"))
            #expect(reader.secret("b") == .file("/etc/switchboard/token"))
            #expect(reader.secret("c") == .credential("twilio-token"))
            #expect(reader.secret("d") == nil)
            #expect(reader.secret("e") == nil)
            #expect(reader.secret("f") == nil)
            #expect(reader.secret("g") == nil)
            #expect(reader.secret("h", required: true) == nil)
        }
        #expect(found.map(\.path.description) == ["d", "e", "f", "g", "h"])
        #expect(found[0].code == .inlineSecret)
        #expect(found[0].message == "secrets must not be inline; use env:NAME, file:PATH or credential:NAME")
        #expect(found.allSatisfy { !$0.description.contains("hunter2") && !$0.description.contains("12345") })
    }

    @Test func unknownKeysSuggestTheClosestKnownKey() throws {
        let found = try issues(#"{"intreval": "5m", "max_bodyy": 5, "listner": "x", "colour": "red", "type": "local"}"#) { reader in
            _ = reader.string("type")
            _ = reader.duration("interval")
            _ = reader.byteSize("max_body")
            _ = reader.string("listener")
            reader.reportUnknownKeys()
        }
        #expect(found.map(\.description) == [
            "intreval: unknown key (did you mean 'interval'?)",
            "max_bodyy: unknown key (did you mean 'max_body'?)",
            "listner: unknown key (did you mean 'listener'?)",
            "colour: unknown key (allowed keys: type, interval, max_body, listener)",
        ])
        #expect(found.allSatisfy { $0.code == .unknownKey })
    }

    @Test func wordsFromAListSuggestToo() throws {
        let found = try issues(#"{"synchronous": "fulll", "level": "loud", "channels": ["email", "smss", 3, "email"]}"#) { reader in
            #expect(reader.oneOf("synchronous", ["full", "normal"], default: "full") == "full")
            #expect(reader.oneOf("level", ["error", "info"]) == nil)
            #expect(reader.stringList("channels", allowed: ["email", "sms"]) == nil)
        }
        #expect(found.map(\.description) == [
            "synchronous: \"fulll\" is not one of \"full\", \"normal\" (did you mean \"full\"?)",
            "level: \"loud\" is not one of \"error\", \"info\"",
            "channels[1]: \"smss\" is not allowed here (did you mean \"sms\"?)",
            "channels[2]: expected a string, found a number",
            "channels[3]: \"email\" is listed twice",
        ])
    }

    @Test func nullMeansDefaultAndEmptyStringsAreRefused() throws {
        let found = try issues(#"{"a": null, "b": "", "c": ""}"#) { reader in
            #expect(reader.int("a", default: 3) == 3)
            #expect(reader.string("b", default: "x") == "x")
            #expect(reader.string("c", allowEmpty: true) == "")
        }
        #expect(found.map(\.description) == ["b: must not be empty"])
    }

    @Test func aWrongTypedSectionIsReportedOnce() throws {
        let found = try issues(#"{"store": "db.sqlite", "limits": {"max_connections": "many"}}"#) { reader in
            let store = reader.object("store")
            _ = store.string("path", required: true)
            _ = store.duration("continuation_window", required: true)
            store.reportUnknownKeys()
            let limits = reader.object("limits")
            _ = limits.int("max_connections")
            limits.reportUnknownKeys()
            reader.reportUnknownKeys()
        }
        #expect(found.map(\.description) == [
            "store: expected an object, found a string",
            "limits.max_connections: expected a number, found a string",
        ])
    }

    @Test func objectEntriesAndArraysCarryTheirPaths() throws {
        let found = try issues(#"{"adapters": {"a": {"x": 1}, "my.adapter": 5}, "rules": [{"queue": 1}, "no"]}"#) { reader in
            for (_, entry) in reader.object("adapters").objectEntries() {
                _ = entry.string("x")
            }
            for rule in reader.objectArray("rules") {
                _ = rule.string("queue")
            }
        }
        // Entries are checked to be objects as they are listed, before their keys are read.
        #expect(found.map(\.description) == [
            "adapters[\"my.adapter\"]: expected an object, found a number",
            "adapters.a.x: expected a string, found a number",
            "rules[1]: expected an object, found a string",
            "rules[0].queue: expected a string, found a number",
        ])
    }

    @Test func choiceReadsStringEnums() throws {
        enum Mode: String, CaseIterable { case full, normal }
        let found = try issues(#"{"a": "normal", "b": "x"}"#) { reader in
            #expect(reader.choice("a", default: Mode.full) == .normal)
            #expect(reader.choice("b", default: Mode.full) == .full)
            #expect(reader.choice("c", default: Mode.full) == .full)
        }
        #expect(found.count == 1)
    }

    @Test func suggestionsStayWithinTwoEdits() {
        #expect(KeySuggestion.closest(to: "intreval", in: ["interval", "type"]) == "interval")
        #expect(KeySuggestion.closest(to: "Max_Body", in: ["max_body"]) == "max_body")
        #expect(KeySuggestion.closest(to: "colour", in: ["port", "path"]) == nil)
        #expect(KeySuggestion.closest(to: "prot", in: ["port", "path"]) == "port")
    }

    @Test func unitsFormatBack() {
        #expect(ConfigUnits.format(.seconds(5400)) == "1h30m")
        #expect(ConfigUnits.format(.milliseconds(250)) == "250ms")
        #expect(ConfigUnits.format(.zero) == "0")
        #expect(ConfigUnits.formatByteSize(1 << 20) == "1 MiB")
        #expect(ConfigUnits.formatByteSize(1500) == "1500 bytes")
        #expect(ConfigUnits.formatFileMode(0o660) == "0660")
    }
}

@Suite struct ConfigReaderSecretTests {
    @Test func resolvesEnvironmentFileAndCredential() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("s3cret-file\n".utf8).write(to: directory.appendingPathComponent("token"))
        try Data("s3cret-cred".utf8).write(to: directory.appendingPathComponent("twilio"))

        let environment = ["IMAP_PASSWORD": "s3cret-env", "CREDENTIALS_DIRECTORY": directory.path]
        #expect(try SecretReference.environment("IMAP_PASSWORD").resolve(environment: environment).string == "s3cret-env")
        #expect(try SecretReference.file(directory.path + "/token").resolve(environment: environment).string == "s3cret-file")
        #expect(try SecretReference.credential("twilio").resolve(environment: environment).string == "s3cret-cred")
    }

    @Test(arguments: [
        (SecretReference.environment("MISSING"), [String: String](), "the environment variable MISSING is not set"),
        (.environment("EMPTY"), ["EMPTY": ""], "the secret is empty"),
        (.file("/nonexistent/switchboard/secret"), [:], "/nonexistent/switchboard/secret does not exist"),
        (.credential("token"), [:], "CREDENTIALS_DIRECTORY is not set"),
        (.credential("token"), ["CREDENTIALS_DIRECTORY": "/nonexistent/creds"], "/nonexistent/creds/token does not exist"),
    ])
    func failsWithAClearErrorThatNeverShowsTheSecret(reference: SecretReference, environment: [String: String], reason: String) {
        do {
            _ = try reference.resolve(environment: environment.merging(["OTHER": "hunter2"]) { a, _ in a })
            Issue.record("expected an error")
        } catch {
            #expect(error.reason == reason)
            #expect(error.description.hasPrefix("secret \(reference): "))
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func resolvedSecretsPrintRedacted() throws {
        let secret = try SecretReference.environment("T").resolve(environment: ["T": "hunter2"])
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(secret.bytes == Array("hunter2".utf8))
    }
}
