import Foundation

/// `switchboard check-config [FILE]`: loads the file as the daemon would and prints either
/// `OK: 2 adapters, 1 listener` to standard output or every issue, one per line, to standard
/// error. Returns the exit status: 0 when the configuration loads, 1 when it does not.
///
/// Secrets are not resolved: an admin's shell does not have the service's environment or
/// credentials. Their form is checked; their values are fetched when an adapter starts.
public func checkConfig(path: String, environment: [String: String],
                        currentDirectory: String = FileManager.default.currentDirectoryPath,
                        standardOutput: (String) -> Void, standardError: (String) -> Void) -> Int32 {
    switch Configuration.load(path: path, environment: environment, currentDirectory: currentDirectory) {
    case .success(let configuration):
        let adapters = configuration.adapters.count
        let disabled = configuration.adapters.filter { !$0.enabled }.count
        let listeners = configuration.listeners.count
        var line = "OK: \(adapters) \(adapters == 1 ? "adapter" : "adapters")"
        if disabled > 0 { line += " (\(disabled) disabled)" }
        line += ", \(listeners) \(listeners == 1 ? "listener" : "listeners")"
        standardOutput(line)
        return 0
    case .failure(let error):
        for line in error.lines { standardError(line) }
        let count = error.issues.count
        standardError("\(path): \(count) \(count == 1 ? "problem" : "problems"); the configuration was not loaded")
        return 1
    }
}

/// `checkConfig` for the command line: the process environment, standard output and error.
public func checkConfig(path: String) -> Int32 {
    checkConfig(path: path, environment: ProcessInfo.processInfo.environment,
                standardOutput: { print($0) },
                standardError: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
}
