import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardSystem

enum RunCommand {
    static let help = """
    usage: switchboard run [--config FILE]

    Runs the daemon in the foreground: opens the store, binds every listener, starts every enabled
    adapter, and serves until stopped. Logs go to stderr (with <N> priorities under systemd).

    signals:
      SIGHUP           re-read the configuration; a good one is applied (only changed adapters and
                       listeners restart), a bad one is logged and the running one is kept
      SIGTERM, SIGINT  stop accepting, finish what is in flight, commit, exit 0

    exit codes: 0 stopped cleanly; 1 could not start (bad configuration, store or listener
    problem; the log line says which and what to do).
    """

    static func main(_ raw: [String]) throws -> Int32 {
        let args = try Arguments(raw, command: "run", valueOptions: ["--config"])
        if args.has("--help") { print(help); return 0 }
        let environment = ProcessInfo.processInfo.environment
        let path = SwitchboardCommand.configPath(args["--config"], environment: environment)
        return DaemonRunner(configPath: path, environment: environment).run()
    }
}

/// The daemon's life in the foreground: load, build, start, tell systemd, then react to signals
/// until told to stop. Signals arrive on a Dispatch queue and are handed to the main thread,
/// which does the (blocking) reload and shutdown work.
final class DaemonRunner: @unchecked Sendable {
    let configPath: String
    let environment: [String: String]
    let notifier: SystemdNotifier
    let logHandler: StderrLogHandler
    let logger: Logger
    private let signals = Mutex<[ProcessSignal]>([])
    private let wakeUp = DispatchSemaphore(value: 0)

    init(configPath: String, environment: [String: String]) {
        self.configPath = configPath
        self.environment = environment
        self.notifier = SystemdNotifier(environment: environment)
        self.logHandler = StderrLogHandler(minimumLevel: .info, environment: environment)
        self.logger = Logger(label: "switchboard", handler: logHandler)
    }

    func run() -> Int32 {
        let configuration: Configuration
        switch Configuration.load(path: configPath, environment: environment) {
        case .success(let loaded):
            configuration = loaded
        case .failure(let error):
            for line in error.lines { logger.error(line) }
            logger.error("not started: \(configPath) has \(error.issues.count) problem(s); fix them and check with 'switchboard check-config --config \(configPath)'")
            return 1
        }
        logHandler.setMinimumLevel(configuration.log.level)
        let listener = SignalListener([.terminate, .interrupt, .hangup]) { [self] signal in
            signals.withLock { $0.append(signal) }
            wakeUp.signal()
        }
        defer { listener.cancel() }

        let daemon: Daemon
        do {
            daemon = try buildDaemon(configuration: configuration, logger: logger, environment: environment)
            try daemon.start()
        } catch {
            logger.error("not started: \(error)")
            return 1
        }
        let adapters = configuration.adapters.filter(\.enabled).count
        logger.notice("switchboard \(SwitchboardVersion.string) ready", ["config": configPath, "adapters": String(adapters), "store": configuration.store.path])
        notifier.ready(status: readyStatus(daemon))
        let watchdog = startWatchdog(daemon)

        while true {
            wakeUp.wait()
            let pending = signals.withLock { list -> [ProcessSignal] in defer { list.removeAll() }; return list }
            if pending.contains(where: { $0 != .hangup }) {
                let signal = pending.first { $0 != .hangup }!
                let timeout = daemon.configuration.shutdownTimeout
                logger.notice("\(signal) received: stopping (in-flight messages are committed first)", ["timeout": "\(timeout)"])
                notifier.stopping(status: "stopping: draining in-flight messages")
                watchdog?.cancel()
                let graceful = daemon.shutdown(timeout: timeout)
                logger.notice(graceful ? "stopped cleanly" : "stopped; some connections were closed before they finished")
                return 0
            }
            if pending.contains(.hangup) { reload(daemon) }
        }
    }

    private func reload(_ daemon: Daemon) {
        notifier.reloading(status: "reloading \(configPath)")
        logger.notice("SIGHUP received: reloading", ["config": configPath])
        switch Configuration.load(path: configPath, environment: environment) {
        case .failure(let error):
            for line in error.lines { logger.error("reload rejected: \(line)") }
            logger.error("reload rejected: \(configPath) has \(error.issues.count) problem(s); still running on the previous configuration")
            notifier.ready(status: "reload rejected (\(error.issues.count) problem(s) in \(configPath)); running on the previous configuration")
        case .success(let new):
            do {
                let changes = try daemon.reload(to: new)
                logHandler.setMinimumLevel(new.log.level)
                logger.notice("reloaded", ["added": String(changes.addedAdapters.count), "changed": String(changes.changedAdapters.count),
                                           "removed": String(changes.removedAdapters.count), "listeners_rebound": String(changes.changedListeners.count + changes.addedListeners.count)])
                notifier.ready(status: readyStatus(daemon))
            } catch {
                logger.error("reload rejected: \(error); still running on the previous configuration")
                notifier.ready(status: "reload rejected: \(error); running on the previous configuration")
            }
        }
    }

    private func readyStatus(_ daemon: Daemon) -> String {
        let configuration = daemon.configuration
        let adapters = configuration.adapters.filter(\.enabled).count
        let pending = daemon.pendingRestart.map(\.key)
        return "serving \(adapters) adapter(s) on \(configuration.listeners.count) listener(s)"
            + (pending.isEmpty ? "" : "; restart needed to apply \(pending.joined(separator: ", "))")
    }

    /// Pings systemd's watchdog at half its interval, but only while the daemon's loops make
    /// progress: a wedged store writer or event loop stops the pings and systemd restarts us.
    private func startWatchdog(_ daemon: Daemon) -> DispatchSourceTimer? {
        guard let interval = notifier.watchdogInterval else { return nil }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "switchboard.watchdog"))
        let nanos = Int(interval.components.seconds) * 1_000_000_000 + Int(interval.components.attoseconds / 1_000_000_000)
        timer.schedule(deadline: .now(), repeating: .nanoseconds(max(1_000_000, nanos)))
        timer.setEventHandler { [notifier, logger] in
            if daemon.isHealthy() {
                notifier.watchdog()
            } else {
                logger.error("a component stopped making progress; withholding the watchdog ping so systemd restarts the daemon")
            }
        }
        timer.resume()
        return timer
    }
}
