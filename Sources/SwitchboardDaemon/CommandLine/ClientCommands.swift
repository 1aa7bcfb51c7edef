import Foundation
import SwitchboardCore
import SwitchboardNet

/// Where the client commands find the daemon: `--socket`, else the ingest listener named in
/// the configuration file, else the default path.
enum DaemonAddress {
    static func socketPath(_ arguments: Arguments) -> String {
        if let socket = arguments["--socket"] { return socket }
        let environment = ProcessInfo.processInfo.environment
        let path = SwitchboardCommand.configPath(arguments["--config"], environment: environment)
        if case .success(let configuration) = Configuration.load(path: path, environment: environment),
           let socket = configuration.ingestSocketPath {
            return socket
        }
        return ConfigurationContext(environment: environment, currentDirectory: FileManager.default.currentDirectoryPath)
            .resolve(UnixListenerSettings.defaultPath(context: ConfigurationContext(environment: environment, currentDirectory: FileManager.default.currentDirectoryPath)))
    }

    static let options: Set<String> = ["--socket", "--config"]
    static let help = """
      --socket PATH    the daemon's ingest socket (default: from the configuration's local listener)
      --config FILE    the configuration file to read the socket path from
    """
}

enum SendCommand {
    static let help = """
    usage: switchboard send --channel CHANNEL --from KIND:VALUE [--id ID] [--subject TEXT] [--adapter ID] TEXT
           switchboard send --file MESSAGE.json

    Posts one customer message to the running daemon (POST /v1/messages on its ingest socket) and
    prints the daemon's JSON answer. Exit 0 when it was stored (202) or was already stored (200).

      --channel CHANNEL   email, sms, chat, social, voice, web or other
      --from KIND:VALUE   the customer: email:ana@example.com, phone:+4915112345678, social:@ana@host,
                          chat:visitor-7, external:crm-42
      --id ID             the dedupe key (default: a new random id); the same id is stored once
      --subject TEXT      optional subject
      --adapter ID        which local adapter, when several are configured
      --file FILE         post this JSON document as is (see docs/ingest-api.md); '-' reads stdin
    \(DaemonAddress.help)
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "send", valueOptions: DaemonAddress.options.union(["--channel", "--from", "--id", "--subject", "--adapter", "--file"]))
        if args.has("--help") { print(help); return 0 }
        let body: [UInt8]
        if let file = args["--file"] {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
            body = Array(data)
        } else {
            guard let channel = args["--channel"], let from = args["--from"], let colon = from.firstIndex(of: ":") else {
                throw Arguments.UsageError(description: "send needs --channel and --from KIND:VALUE (or --file); see 'switchboard send --help'")
            }
            guard !args.positionals.isEmpty else {
                throw Arguments.UsageError(description: "send needs the message text as its last argument; see 'switchboard send --help'")
            }
            var writer = JSONWriter()
            writer.object { w in
                w.field("id", args["--id"] ?? "cli-" + UUID().uuidString.lowercased())
                w.fieldIfPresent("adapter", args["--adapter"])
                w.field("channel", channel)
                w.field("from", object: { w in
                    w.field("kind", String(from[..<colon]))
                    w.field("value", String(from[from.index(after: colon)...]))
                })
                w.fieldIfPresent("subject", args["--subject"])
                w.field("text", args.positionals.joined(separator: " "))
            }
            body = writer.bytes
        }
        let response = try UnixHTTPClient(socketPath: DaemonAddress.socketPath(args)).request("POST", "/v1/messages", body: body)
        print(response.text)
        if response.status == 202 || response.status == 200 { return 0 }
        printError("the daemon answered \(response.status); nothing was stored")
        return 1
    }
}

enum ShowCommand {
    static let help = """
    usage: switchboard show ID

    Prints a stored message (msg_…) or contact (ct_…) as the running daemon has it, as JSON.
    \(DaemonAddress.help)
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "show", valueOptions: DaemonAddress.options)
        if args.has("--help") { print(help); return 0 }
        guard args.positionals.count == 1, let id = args.positionals.first else {
            throw Arguments.UsageError(description: "show needs exactly one id (msg_… or ct_…); see 'switchboard show --help'")
        }
        let path: String
        if id.hasPrefix("msg_") { path = "/v1/messages/\(id)" }
        else if id.hasPrefix("ct_") { path = "/v1/contacts/\(id)" }
        else { throw Arguments.UsageError(description: "'\(id)' is not a message id (msg_…) or contact id (ct_…)") }
        let response = try UnixHTTPClient(socketPath: DaemonAddress.socketPath(args)).request("GET", path)
        if response.status == 200 {
            if let value = try? JSONParser().parse(response.body) { print(value.prettyString) } else { print(response.text) }
            return 0
        }
        printError("the daemon answered \(response.status): \(response.text)")
        return 1
    }
}

enum StatusCommand {
    static let help = """
    usage: switchboard status [--json]

    Asks the running daemon for its status: version, uptime, adapters and their state, listeners,
    the ingest backlog against its budget, the store's size and counts, quarantined items.
    Exit 0 when the daemon answered, 1 when it could not be reached.
      --json           print the daemon's JSON as is
    \(DaemonAddress.help)
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "status", valueOptions: DaemonAddress.options, flagOptions: ["--json"])
        if args.has("--help") { print(help); return 0 }
        let socket = DaemonAddress.socketPath(args)
        let response: UnixHTTPClient.Response
        do {
            response = try UnixHTTPClient(socketPath: socket, timeoutSeconds: 10).request("GET", "/v1/status")
        } catch {
            printError("\(error)")
            return 1
        }
        guard response.status == 200, let value = try? JSONParser().parse(response.body) else {
            printError("the daemon answered \(response.status): \(response.text)")
            return 1
        }
        if args.has("--json") { print(value.prettyString); return 0 }
        print(StatusText.render(value))
        return 0
    }
}

/// Turns the JSON status into lines a person reads at a glance.
enum StatusText {
    static func render(_ status: JSONValue) -> String {
        var lines: [String] = []
        let version = status["version"]?.stringValue ?? "?"
        let uptime = status["uptime_seconds"]?.doubleValue ?? 0
        lines.append("switchboard \(version), up \(formatDuration(uptime)), state \(status["state"]?.stringValue ?? "?")")
        // Changes a reload could not apply: the admin's file and what runs differ until a restart.
        for change in status["restart_pending"]?.arrayValue ?? [] {
            lines.append("restart needed: \(change["key"]?.stringValue ?? "?") is \(change["in_force"]?.stringValue ?? "?") until a restart (adapters.json says \(change["configured"]?.stringValue ?? "?"))")
        }
        if let backlog = status["backlog"] {
            lines.append("backlog: \(backlog["queued"]?.intValue ?? 0) queued of a budget of \(backlog["budget"]?.intValue ?? 0)")
        }
        if let store = status["store"] {
            let mb = Double(store["bytes"]?.int64Value ?? 0) / 1_048_576
            lines.append(String(format: "store: %@ (%.1f MB): %d messages, %d contacts, %d conversations, %d quarantined",
                                store["path"]?.stringValue ?? "?", mb, store["messages"]?.intValue ?? 0,
                                store["contacts"]?.intValue ?? 0, store["conversations"]?.intValue ?? 0,
                                store["quarantined"]?.intValue ?? 0))
        }
        if let outbox = status["outbox"] {
            var line = "outbox: \(outbox["pending"]?.intValue ?? 0) pending, \(outbox["dead"]?.intValue ?? 0) dead"
            line += "; since start \(outbox["sent_since_start"]?.intValue ?? 0) sent, \(outbox["retries_since_start"]?.intValue ?? 0) retries"
            if let error = outbox["last_error"]?.stringValue { line += "; last error: \(error)" }
            if (outbox["dead"]?.intValue ?? 0) > 0 { line += " (list: GET /v1/outbox?state=dead)" }
            lines.append(line)
        }
        if let listeners = status["listeners"]?.arrayValue {
            for l in listeners {
                lines.append("listener \(l["name"]?.stringValue ?? "?"): \(l["address"]?.stringValue ?? "?")")
            }
        }
        if let adapters = status["adapters"]?.arrayValue {
            for a in adapters {
                var line = "adapter \(a["id"]?.stringValue ?? "?") (\(a["type"]?.stringValue ?? "?")): \(a["state"]?.stringValue ?? "?")"
                if let detail = a["detail"]?.stringValue { line += " — \(detail)" }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        if s < 86400 { return "\(s / 3600)h\(s % 3600 / 60)m" }
        return "\(s / 86400)d\(s % 86400 / 3600)h"
    }
}

enum ExplainCommand {
    static let help = """
    usage: switchboard explain MESSAGE_ID [--json]

    Explains what the running daemon decided about a stored message, and why: the inquiry type
    with its confidence and runner-ups, the frustration signal and its cues, which admin rule or
    which of the model's features decided it (and, with a routing matrix configured, the rule
    that matched, the queue and priority), then the task it opened: the agent chosen and why the
    others were not, offers, escalations, and the SLA targets with their state.
      --json           print the stored decision as JSON
    \(DaemonAddress.help)
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "explain", valueOptions: DaemonAddress.options, flagOptions: ["--json"])
        if args.has("--help") { print(help); return 0 }
        guard args.positionals.count == 1, let id = args.positionals.first, id.hasPrefix("msg_") else {
            throw Arguments.UsageError(description: "explain needs one message id (msg_…); see 'switchboard explain --help'")
        }
        let response = try UnixHTTPClient(socketPath: DaemonAddress.socketPath(args)).request("GET", "/v1/messages/\(id)")
        guard response.status == 200, let message = try? JSONParser().parse(response.body) else {
            printError("the daemon answered \(response.status): \(response.text)")
            return 1
        }
        guard let decision = message["decision"] else {
            print("\(id): no decision was stored (the classifier was off when it arrived)")
            return 0
        }
        let client = UnixHTTPClient(socketPath: DaemonAddress.socketPath(args))
        let taskResponse = try client.request("GET", "/v1/messages/\(id)/task")
        let task = taskResponse.status == 200 ? try? JSONParser().parse(taskResponse.body) : nil
        if args.has("--json") {
            print(task.map { JSONValue.object(["decision": decision, "task": $0]) }?.prettyString ?? decision.prettyString)
            return 0
        }
        var text = render(id: id, message: message, decision: decision)
        if let task { text += "\n" + renderTask(task).joined(separator: "\n") }
        print(text)
        return 0
    }

    static func render(id: String, message: JSONValue, decision d: JSONValue) -> String {
        func s(_ v: JSONValue?) -> String { v?.stringValue ?? v.map(\.compactString) ?? "?" }
        func list(_ v: JSONValue?) -> [String] { (v?.arrayValue ?? []).map { $0.stringValue ?? $0.compactString } }
        var lines = ["message \(id): \(s(message["channel"])) via adapter \(s(message["adapter"])), received \(s(message["received_at"]))"]
        if let c = d["classification"] {
            lines.append("classification")
            lines.append(String(format: "  type          %@ (confidence %.3f)", s(c["type"]), c["confidence"]?.doubleValue ?? 0))
            let runners = (c["runner_ups"]?.arrayValue ?? []).map { String(format: "%@ %.3f", s($0["type"]), $0["score"]?.doubleValue ?? 0) }
            if !runners.isEmpty { lines.append("  runner-ups    " + runners.joined(separator: ", ")) }
            // Named when asked, from the stored text with the running model (InquiryDecider.withFeatures).
            let recomputed = c["features_recomputed"]?.boolValue == true ? " (named now, by the running model)" : ""
            switch c["decided_by"]?.stringValue {
            case "rule": lines.append("  decided by    admin rule \(s(c["rule"])) (matched \"\(s(c["matched"]))\")")
            case "below_threshold": lines.append("  decided by    confidence below the threshold: 'other' instead of \(s(c["original"])) (features: \(list(c["features"]).joined(separator: ", ")))\(recomputed)")
            default: lines.append("  decided by    the model; strongest features: \(list(c["features"]).joined(separator: ", "))\(recomputed)")
            }
            if let f = c["frustration"] {
                let cues = list(f["cues"])
                lines.append(String(format: "  frustration   %.2f%@%@", f["score"]?.doubleValue ?? 0, cues.isEmpty ? "" : " (" + cues.joined(separator: ", ") + ")",
                                    f["repeated_contact"]?.boolValue == true ? "; repeated contact" : ""))
            }
        }
        if let m = d["matrix"] {
            lines.append("channel-mapping matrix")
            for skipped in m["skipped"]?.arrayValue ?? [] {
                lines.append("  rule \(s(skipped["rule"])) did not match: \(list(skipped["reasons"]).joined(separator: "; "))")
            }
            let held = list(m["held"])
            lines.append("  rule \(s(m["matched_rule"])) matched\(held.isEmpty ? "" : ": " + held.joined(separator: ", "))")
            for note in list(m["notes"]) { lines.append("  note: \(note)") }
        }
        if let r = d["decision"] {
            lines.append("decision")
            lines.append("  queue         \(s(r["queue"])) (priority \(s(r["priority"])))")
            let skills = list(r["skills"])
            if !skills.isEmpty { lines.append("  skills        \(skills.joined(separator: ", "))") }
            lines.append("  answer on     \(s(r["response_channel"]))\(r["response_public"]?.boolValue == true ? " (public)" : " (private)")")
            if let auto = r["auto_answer"]?.stringValue {
                lines.append("  auto-answer   \(auto)\(r["creates_task"]?.boolValue == false ? " (deflected: no task unless the customer writes back)" : "")")
            }
            if r["suppress_sales"]?.boolValue == true { lines.append("  no sales offers: the customer is frustrated") }
            let escalation = list(r["escalation"])
            if !escalation.isEmpty { lines.append("  escalation    \(escalation.joined(separator: "; "))") }
        }
        return lines.joined(separator: "\n")
    }
}
