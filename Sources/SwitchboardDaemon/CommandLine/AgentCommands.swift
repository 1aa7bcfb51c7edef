import Foundation
import SwitchboardCore
import SwitchboardNet

/// `switchboard agent-token`: issues or revokes an agent's API token through the local socket.
enum AgentTokenCommand {
    static let help = """
    usage: switchboard agent-token AGENT [--label TEXT]
           switchboard agent-token AGENT --revoke

    Issues a bearer token for an agent defined in adapters.json ("agents") and prints it once:
    the daemon keeps only its SHA-256. The agent's console sends it as
    "Authorization: Bearer TOKEN" to the agent API on the listener named in agent_api.listener.
    --revoke ends every token the agent has, at once (use it when a laptop is lost).
      --label TEXT     a note stored with the token (whose device it is)
      --revoke         revoke the agent's tokens instead of issuing one
    \(DaemonAddress.help)
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "agent-token", valueOptions: DaemonAddress.options.union(["--label"]), flagOptions: ["--revoke"])
        if args.has("--help") { print(help); return 0 }
        guard args.positionals.count == 1, let agent = args.positionals.first else {
            throw Arguments.UsageError(description: "agent-token needs one agent id; see 'switchboard agent-token --help'")
        }
        let client = UnixHTTPClient(socketPath: DaemonAddress.socketPath(args))
        let path = "/v1/agents/\(agent.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? agent)/tokens"
        if args.has("--revoke") {
            let response = try client.request("DELETE", path)
            guard response.status == 200, let body = try? JSONParser().parse(response.body) else {
                printError("the daemon answered \(response.status): \(response.text)")
                return 1
            }
            print("revoked \(body["revoked"]?.intValue ?? 0) token(s) of \(agent)")
            return 0
        }
        var w = JSONWriter(capacity: 64)
        w.object { w in w.fieldIfPresent("label", args["--label"]) }
        let response = try client.request("POST", path, body: w.bytes)
        guard response.status == 201, let body = try? JSONParser().parse(response.body), let token = body["token"]?.stringValue else {
            printError("the daemon answered \(response.status): \(response.text)")
            return 1
        }
        print(token)
        printError("this token is shown once; give it to \(agent) over a safe channel")
        return 0
    }
}

/// `switchboard agents`: the board — each agent's status and load, each queue's waiting line.
enum AgentsCommand {
    static let help = """
    usage: switchboard agents [--json]

    Shows every configured agent with status, load per channel and tasks held, and every queue
    with how many tasks wait in it, from the running daemon.
      --json           print the board as JSON
    \(DaemonAddress.help)
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "agents", valueOptions: DaemonAddress.options, flagOptions: ["--json"])
        if args.has("--help") { print(help); return 0 }
        let response = try UnixHTTPClient(socketPath: DaemonAddress.socketPath(args)).request("GET", "/v1/agents")
        guard response.status == 200, let board = try? JSONParser().parse(response.body) else {
            printError("the daemon answered \(response.status): \(response.text)")
            return 1
        }
        if args.has("--json") { print(board.prettyString); return 0 }
        for agent in board["agents"]?.arrayValue ?? [] {
            let load = (agent["load"]?.objectValue.map { object in object.keys.sorted().map { "\($0) \(object[$0]?.intValue ?? 0)" } } ?? []).joined(separator: ", ")
            let capacity = (agent["capacity"]?.objectValue.map { object in object.keys.sorted().map { "\($0) \(object[$0]?.intValue ?? 0)" } } ?? []).joined(separator: ", ")
            print("agent \(agent["id"]?.stringValue ?? "?"): \(agent["status"]?.stringValue ?? "?"); holding [\(load)] of [\(capacity)]")
        }
        for queue in board["queues"]?.arrayValue ?? [] {
            print("queue \(queue["id"]?.stringValue ?? "?") (\(queue["strategy"]?.stringValue ?? "?")): \(queue["waiting"]?.intValue ?? 0) waiting")
        }
        print("open tasks: \(board["open_tasks"]?.intValue ?? 0)")
        return 0
    }
}

extension ExplainCommand {
    /// The assignment and service-level part of `explain`, from the task the message opened.
    static func renderTask(_ task: JSONValue) -> [String] {
        func s(_ v: JSONValue?) -> String { v?.stringValue ?? v.map(\.compactString) ?? "?" }
        var lines = ["assignment"]
        lines.append("  task          \(s(task["id"])) in queue \(s(task["queue"])), now \(s(task["state"]))\(task["agent"]?.stringValue.map { " with \($0)" } ?? "")")
        for event in task["events"]?.arrayValue ?? [] {
            let details = event["details"]
            switch event["kind"]?.stringValue {
            case "offered", "assigned":
                let reason = details?["reason"]?.stringValue.map { ": \($0)" } ?? (event["kind"]?.stringValue == "assigned" ? " (accepted the offer)" : "")
                lines.append("  \(s(event["at"])) \(s(event["kind"])) to \(s(event["agent"]))\(reason)")
                if let passed = details?["passed_over"]?.stringValue { lines.append("      not chosen: \(passed)") }
            case "waiting":
                lines.append("  \(s(event["at"])) waiting in \(s(details?["queue"])): \(s(details?["reason"]))")
            case "revoked", "requeued", "declined", "accepted", "transferred", "resolved", "reopened", "escalated", "notify", "reserved":
                var line = "  \(s(event["at"])) \(s(event["kind"]))"
                if let agent = event["agent"]?.stringValue { line += " (\(agent))" }
                if let reason = details?["reason"]?.stringValue ?? details?["step"]?.stringValue { line += ": \(reason)" }
                lines.append(line)
            default: continue
            }
        }
        lines.append("service levels")
        for clock in task["sla"]?.arrayValue ?? [] {
            var line = "  \(s(clock["clock"])) target \(StatusText.formatDuration(clock["target_seconds"]?.doubleValue ?? 0)): \(s(clock["state"]))"
            if let deadline = clock["deadline"]?.stringValue { line += ", due \(deadline)" }
            if let breached = clock["breached_at"]?.stringValue { line += ", missed at \(breached)" }
            lines.append(line)
        }
        for event in task["events"]?.arrayValue ?? [] where (event["kind"]?.stringValue ?? "").hasPrefix("sla_") {
            lines.append("  \(s(event["at"])) \(s(event["details"]?["clock"])) \(s(event["kind"]).dropFirst(4))")
        }
        return lines
    }
}
