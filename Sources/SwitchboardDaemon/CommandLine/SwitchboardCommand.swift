import Foundation
import SwitchboardCore

/// The `switchboard` command line: `main.swift` calls `SwitchboardCommand.main` and exits with
/// its code. Each command has a `--help` written for the admin who runs it at 3 a.m.
public enum SwitchboardCommand {
    static let overview = """
    switchboard — contact-centre message router

    usage: switchboard COMMAND [OPTIONS]

    commands:
      run            run the daemon in the foreground (systemd starts it this way)
      check-config   validate adapters.json; prints every problem with its JSON path
      send           post one message to the running daemon's ingest socket
      show           print a stored message or contact by id
      status         ask the running daemon how it is (adapters, backlog, store)
      explain        explain what was decided about a stored message, and why
      agents         show agents (status, load) and queues (waiting tasks)
      agent-token    issue or revoke an agent's API token
      classify       classify a message text and say why (type, confidence, frustration)
      train          train a classifier model from labelled examples (CSV or JSONL)
      eval           measure a classifier model on labelled data
      version        print the version

    'switchboard COMMAND --help' explains each command.
    The configuration file is found in this order: --config FILE, $SWITCHBOARD_CONFIG,
    $CONFIGURATION_DIRECTORY/adapters.json (under systemd), /etc/switchboard/adapters.json,
    ./adapters.json.
    """

    public static func main(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else {
            print(overview)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        do {
            switch command {
            case "run": return try RunCommand.main(rest)
            case "check-config": return try CheckConfigCommand.main(rest)
            case "send": return try SendCommand.main(rest)
            case "show": return try ShowCommand.main(rest)
            case "status": return try StatusCommand.main(rest)
            case "classify": return try ClassifyCommand.main(rest)
            case "explain": return try ExplainCommand.main(rest)
            case "agents": return try AgentsCommand.main(rest)
            case "agent-token": return try AgentTokenCommand.main(rest)
            case "train": return try TrainCommand.main(rest)
            case "eval": return try EvalCommand.main(rest)
            case "version", "--version":
                if rest.contains("--help") || rest.contains("-h") {
                    print("usage: switchboard version\n\nPrints the version of this binary (compare with 'switchboard status', which shows the running daemon's).")
                    return 0
                }
                print("switchboard \(SwitchboardVersion.string)")
                return 0
            case "help", "--help", "-h": print(overview); return 0
            default:
                let known = ["run", "check-config", "send", "show", "status", "explain", "agents", "agent-token", "classify", "train", "eval", "version"]
                let hint = KeySuggestion.closest(to: command, in: known).map { " Did you mean '\($0)'?" } ?? ""
                printError("unknown command '\(command)'.\(hint) Run 'switchboard --help' for the list.")
                return 2
            }
        } catch let error as Arguments.UsageError {
            printError(error.description)
            return 2
        } catch {
            printError("\(error)")
            return 1
        }
    }

    /// The configuration path by the documented search order.
    static func configPath(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit { return explicit }
        if let fromEnv = environment["SWITCHBOARD_CONFIG"], !fromEnv.isEmpty { return fromEnv }
        if let dir = environment["CONFIGURATION_DIRECTORY"], !dir.isEmpty {
            return (dir.split(separator: ":").first.map(String.init) ?? dir) + "/adapters.json"
        }
        if FileManager.default.fileExists(atPath: "/etc/switchboard/adapters.json") { return "/etc/switchboard/adapters.json" }
        return "adapters.json"
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("switchboard: " + message + "\n").utf8))
}
