/// A tiny argument reader for the `switchboard` commands: `--name value`, `--name=value`,
/// flags, and positionals, with errors an admin can act on.
struct Arguments {
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var options: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    /// `valueOptions` take a value; `flagOptions` don't. Anything else starting with `-` is an error.
    init(_ arguments: [String], command: String, valueOptions: Set<String>, flagOptions: Set<String> = []) throws {
        var iterator = arguments.makeIterator()
        var onlyPositionals = false
        while let arg = iterator.next() {
            if onlyPositionals || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
                continue
            }
            if arg == "--" { onlyPositionals = true; continue }
            if arg == "-h" || arg == "--help" { flags.insert("--help"); continue }
            var name = arg
            var inlineValue: String?
            if let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inlineValue = String(arg[arg.index(after: eq)...])
            }
            if valueOptions.contains(name) {
                guard let value = inlineValue ?? iterator.next() else {
                    throw UsageError(description: "\(name) needs a value; see 'switchboard \(command) --help'")
                }
                options[name] = value
            } else if flagOptions.contains(name), inlineValue == nil {
                flags.insert(name)
            } else {
                let known = (valueOptions.union(flagOptions)).sorted().joined(separator: ", ")
                throw UsageError(description: "unknown option \(name) for 'switchboard \(command)' (it takes: \(known.isEmpty ? "no options" : known)); see 'switchboard \(command) --help'")
            }
        }
    }

    subscript(option: String) -> String? { options[option] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }
}
