import Foundation

enum CheckConfigCommand {
    static let help = """
    usage: switchboard check-config [--config FILE | FILE]

    Reads the configuration exactly as the daemon would and prints every problem at once, one per
    line, each with its JSON path and a hint (unknown keys included, so a typo never passes
    silently). Prints 'OK: …' and exits 0 when the file is good, exits 1 otherwise.
    Secrets (env:, file:, credential:) are checked for their form only: this shell does not have
    the service's environment or credentials.
    systemd runs this as ExecStartPre, so a broken file never replaces a running daemon's.
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "check-config", valueOptions: ["--config"])
        if args.has("--help") { print(help); return 0 }
        guard args.positionals.count <= 1 else {
            throw Arguments.UsageError(description: "check-config takes one file; see 'switchboard check-config --help'")
        }
        let path = SwitchboardCommand.configPath(args["--config"] ?? args.positionals.first)
        return checkConfig(path: path)
    }
}
