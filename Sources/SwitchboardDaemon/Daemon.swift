import Foundation
import Synchronization
import SwitchboardChannels
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// The running daemon: the store, one HTTP server per listener, and the adapters, wired from a
/// `Configuration`. `buildDaemon(configuration:)` makes one without starting anything, so tests
/// run the real wiring; `start()` binds the listeners; `reload(to:)` applies a new configuration
/// that has already loaded cleanly; `shutdown()` drains and stops in reverse order of start.
public final class Daemon: @unchecked Sendable {
    public let store: Store
    public let metrics = MetricsRegistry()
    public let startedAt = Date()
    let logger: Logger
    let environment: [String: String]
    /// Answers conversations through the outbox (the local socket's replies route, the agent API).
    public let replies: ReplyService
    let outbox: OutboxWorker
    let autoAnswers: AutoAnswers
    /// The decider of the running configuration, for re-deciding stored messages (automatic answers' replay).
    private let currentDecider = Mutex<InquiryDecider?>(nil)
    /// The running configuration's decider (nil with the classifier off).
    var decider: InquiryDecider? { currentDecider.withLock { $0 } }
    /// Each sender's recent messages, for the frustration signal's repeated contact; kept across reloads.
    let recentContacts = RecentContacts()

    /// Everything a reload swaps, behind one lock. Requests read it; only start/reload/shutdown write.
    private struct Running {
        var configuration: Configuration
        var listeners: [String: RunningListener] = [:]
        var adapters: [String: RunningAdapter] = [:]
        var state: String = "starting"
    }

    /// An adapter the daemon built from its entry; `adapter` is nil when it failed to start
    /// (its reason is shown in status) or when the daemon serves the type itself (local).
    struct RunningAdapter: Sendable {
        var instance: AdapterInstance
        var adapter: (any ChannelAdapter)?
        var failure: String?
    }
    private let running: Mutex<Running>
    /// Tasks, assignment and SLA clocks (after `start()`), and the agent API's token checks.
    let agentEvents: AgentEventHub
    private let agentServices = Mutex<AgentServices?>(nil)
    struct AgentServices: Sendable {
        var runtime: TaskRuntime
        var authenticator: AgentAuthenticator
    }
    var tasks: TaskRuntime? { agentServices.withLock { $0?.runtime } }
    /// Serializes start, reload and shutdown against each other.
    private let lifecycle = NSLock()
    /// The values read only at start, as they are in force until the process ends (a reload
    /// that changes them is told so: `ConfigurationChanges.needsRestart`).
    public let inForce: RestartOnlySettings

    final class RunningListener: @unchecked Sendable {
        let name: String
        let settings: ListenerSettings
        let server: HTTPServer
        let router: RouterBox
        let ingest: LocalIngestEndpoint?
        init(name: String, settings: ListenerSettings, server: HTTPServer, router: RouterBox, ingest: LocalIngestEndpoint?) {
            self.name = name
            self.settings = settings
            self.server = server
            self.router = router
            self.ingest = ingest
        }
    }

    /// The router a listener's server dispatches through; swapped whole on reload.
    final class RouterBox: Sendable {
        private let current: Mutex<HTTPRouter>
        init(_ router: HTTPRouter) { current = Mutex(router) }
        func replace(_ router: HTTPRouter) { current.withLock { $0 = router } }
        func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
            let router = current.withLock { $0 }
            router.handle(request, responder)
        }
    }

    init(configuration: Configuration, store: Store, logger: Logger, environment: [String: String]) {
        self.store = store
        self.logger = logger
        self.environment = environment
        self.running = Mutex(Running(configuration: configuration))
        self.inForce = RestartOnlySettings(configuration)
        self.agentEvents = AgentEventHub(limit: configuration.agentAPI.maxEventStreams)
        // The outbox's parts find adapters through the daemon, which exists only after init.
        let ref = WeakDaemon()
        let senders: @Sendable (String) -> (any OutboundSender)? = { ref.daemon?.outboundSender(adapterID: $0) }
        outbox = OutboxWorker(store: store, settings: configuration.outbox, logger: logger.child("outbox"), senders: senders)
        replies = ReplyService(store: store, senders: senders, adapters: {
            ref.daemon?.configuration.adapters.filter(\.enabled).map { ($0.id, $0.channel) } ?? []
        }, enqueued: { ref.daemon?.outbox.wake() })
        autoAnswers = AutoAnswers(store: store, replies: replies, routing: { ref.daemon?.configuration.routing ?? .minimal },
                                  decide: { ref.daemon?.currentDecider.withLock { $0 }?.redecide($0) },
                                  logger: logger.child("auto-answers"))
        ref.daemon = self
        metrics.register("store") { [store] in Self.storeMetrics(store) }
        metrics.register("outbox") { [weak self] in self.map { OutboxStatus.metrics($0) } ?? [] }
        metrics.register("process") { [startedAt] in
            [MetricFamily.single("switchboard_uptime_seconds", "Seconds since the daemon started.", .gauge, Date().timeIntervalSince(startedAt))]
        }
    }

    public var configuration: Configuration { running.withLock { $0.configuration } }

    /// Keys of the loaded configuration that wait for a restart (empty when none).
    public var pendingRestart: [RestartOnlyChange] { inForce.changes(to: RestartOnlySettings(configuration)) }
    public var state: String { running.withLock { $0.state } }

    /// The addresses the listeners are bound to (port 0 in the configuration becomes the real port).
    public var boundAddresses: [String: [HTTPServer.BoundAddress]] {
        running.withLock { $0.listeners.mapValues { $0.server.boundAddresses } }
    }

    // MARK: - Start

    public func start() throws {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        let configuration = self.configuration
        let decider = try installDecider(configuration)
        try startTasks(configuration, decider: decider)
        let adapters = startAdapters(configuration.adapters.filter(\.enabled), configuration: configuration)
        running.withLock { $0.adapters = adapters }
        // Senders exist now: answer what a crash left unanswered, then start sending.
        autoAnswers.replay()
        outbox.start()
        var started: [String: RunningListener] = [:]
        do {
            for name in configuration.listeners.keys.sorted() {
                started[name] = try startListener(name: name, configuration: configuration)
            }
        } catch {
            for listener in started.values { _ = listener.server.shutdown(gracefulTimeout: .seconds(1)) }
            throw error
        }
        running.withLock {
            $0.listeners = started
            $0.state = "running"
        }
        for adapter in configuration.adapters where !adapter.enabled {
            logger.info("adapter disabled in configuration", ["adapter": adapter.id, "type": adapter.type.name])
        }
    }

    /// Builds and starts adapters. One that fails is logged with its reason and shown as failed in
    /// status; the others, and the daemon, keep running (an IMAP server being down must not stop SMS).
    private func startAdapters(_ instances: [AdapterInstance], configuration: Configuration) -> [String: RunningAdapter] {
        var result: [String: RunningAdapter] = [:]
        for instance in instances {
            guard let make = instance.type.makeAdapter else {
                result[instance.id] = RunningAdapter(instance: instance, adapter: nil, failure: nil)
                logger.info("adapter started", ["adapter": instance.id, "type": instance.type.name])
                continue
            }
            do {
                let adapter = try make(instance.settings, adapterContext(for: instance, configuration: configuration))
                try adapter.start()
                metrics.register("adapter.\(instance.id)") { [weak adapter] in adapter?.metrics() ?? [] }
                result[instance.id] = RunningAdapter(instance: instance, adapter: adapter, failure: nil)
                logger.info("adapter started", ["adapter": instance.id, "type": instance.type.name])
            } catch {
                result[instance.id] = RunningAdapter(instance: instance, adapter: nil, failure: "\(error)")
                logger.error("adapter failed to start; the rest of the daemon keeps running", ["adapter": instance.id, "type": instance.type.name, "reason": "\(error)"])
            }
        }
        return result
    }

    private func stopAdapters(_ adapters: [RunningAdapter]) {
        for running in adapters.reversed() {
            guard let adapter = running.adapter else { continue }
            adapter.stop()
            metrics.unregister("adapter.\(running.instance.id)")
            logger.info("adapter stopped", ["adapter": running.instance.id])
        }
    }

    private func adapterContext(for instance: AdapterInstance, configuration: Configuration) -> AdapterContext {
        var publicURLs: [String: String] = [:]
        var proxies: [String: [String]] = [:]
        for (name, settings) in configuration.listeners {
            if case .tcp(let tcp) = settings {
                if let url = tcp.publicURL { publicURLs[name] = url }
                proxies[name] = tcp.trustedProxies
            }
        }
        return AdapterContext(id: instance.id, store: store, logger: logger.child("adapter.\(instance.id)"), metrics: metrics,
                              environment: environment, listenerPublicURLs: publicURLs, trustedProxies: proxies)
    }

    /// Status lines per configured adapter: running, disabled, or failed with its reason.
    public var adapterStates: [(id: String, type: String, channel: String, state: String, detail: String?)] {
        let (configuration, adapters) = running.withLock { ($0.configuration, $0.adapters) }
        return configuration.adapters.map { instance in
            guard instance.enabled else { return (instance.id, instance.type.name, instance.channel.rawValue, "disabled", nil) }
            guard let running = adapters[instance.id] else { return (instance.id, instance.type.name, instance.channel.rawValue, "stopped", nil) }
            if let failure = running.failure { return (instance.id, instance.type.name, instance.channel.rawValue, "failed", failure) }
            return (instance.id, instance.type.name, instance.channel.rawValue, "running", running.adapter?.statusDetail)
        }
    }

    private func startListener(name: String, configuration: Configuration) throws -> RunningListener {
        guard let settings = configuration.listeners[name] else { throw DaemonError(message: "no listener \(name)") }
        let ingest: LocalIngestEndpoint?
        if case .unix = settings {
            let endpoint = LocalIngestEndpoint(store: store, limits: ingestLimits(configuration), logger: logger.child("ingest"))
            endpoint.configure(adapters: localAdapters(on: name, configuration), limits: ingestLimits(configuration))
            ingest = endpoint
        } else {
            ingest = nil
        }
        let box = RouterBox(makeRouter(listener: name, settings: settings, ingest: ingest, configuration: configuration))
        let server = HTTPServer(configuration: serverConfiguration(settings, configuration), handler: { request, responder in
            box.handle(request, responder)
        })
        try server.start()
        let bound = server.boundAddresses.map(\.description).joined(separator: ", ")
        logger.info("listening", ["listener": name, "address": bound])
        let listener = RunningListener(name: name, settings: settings, server: server, router: box, ingest: ingest)
        let key = "listener.\(name)"
        metrics.register(key) { [weak server, weak ingest] in
            guard let server else { return [] }
            return Self.serverMetrics(server.statistics, listener: name) + (ingest?.metrics() ?? [])
        }
        return listener
    }

    private func serverConfiguration(_ settings: ListenerSettings, _ configuration: Configuration) -> HTTPServer.Configuration {
        let limits = configuration.limits
        var httpLimits = HTTPServerLimits()
        httpLimits.maxHeaderBytes = limits.maxHeaderBytes
        httpLimits.maxBodyBytes = limits.maxBodyBytes
        let listener: HTTPServer.Listener
        var policy: any HTTPConnectionPolicy = AcceptAllConnections()
        switch settings {
        case .unix(let unix): listener = .unix(path: unix.path, mode: UInt16(unix.mode))
        case .tcp(let tcp):
            listener = .tcp(host: tcp.address, port: tcp.port)
            // Public listeners: a per-address cap on open connections and on the connection rate,
            // so one client cannot take every slot; the reverse proxy in front is exempt.
            policy = RateLimitPolicy(maxConnectionsPerClient: tcp.maxConnectionsPerClient,
                                     connectionRate: tcp.connectionsPerSecondPerClient.map(Double.init),
                                     exempt: TrustedProxies(tcp.trustedProxies))
        }
        return HTTPServer.Configuration(listeners: [listener], limits: httpLimits, maxConnections: limits.maxConnections,
                                        idleTimeout: limits.idleTimeout, requestReadTimeout: limits.readTimeout,
                                        policy: policy, logger: logger.child("http"),
                                        eventLoops: settings.eventLoops ?? HTTPServer.Configuration.defaultEventLoops)
    }

    private func ingestLimits(_ configuration: Configuration) -> LocalIngestEndpoint.Limits {
        let retry = max(1, Int(configuration.ingest.retryAfter.components.seconds))
        return LocalIngestEndpoint.Limits(backlogBudget: configuration.ingest.backlogBudget, retryAfterSeconds: retry)
    }

    private func localAdapters(on listener: String, _ configuration: Configuration) -> [(id: String, settings: LocalAdapterSettings)] {
        configuration.adapters.compactMap { adapter in
            guard adapter.enabled, let settings = adapter.settings(as: LocalAdapterSettings.self), settings.listener == listener else { return nil }
            return (adapter.id, settings)
        }
    }

    private func makeRouter(listener: String, settings: ListenerSettings, ingest: LocalIngestEndpoint?,
                            configuration: Configuration) -> HTTPRouter {
        var router = HTTPRouter()
        APIRoutes(daemon: self).register(on: &router, includeOperatorAPI: ingest != nil)
        ingest?.register(on: &router)
        if let services = agentServices.withLock({ $0 }) {
            let routes = AgentRoutes(runtime: services.runtime, store: store, authenticator: services.authenticator, replies: replies)
            if ingest != nil { routes.registerOperator(on: &router) }
            if case .tcp = settings, configuration.agentAPI.listener == listener { routes.registerBearer(on: &router) }
        }
        let adapters = running.withLock { $0.adapters }
        for id in adapters.keys.sorted() {
            guard let entry = adapters[id], let adapter = entry.adapter,
                  entry.instance.settings.listenerReferences.contains(where: { $0.name == listener }) else { continue }
            adapter.register(on: &router, listener: listener)
        }
        return router
    }

    /// Builds the task runtime from the store (open tasks, agents' statuses, messages committed
    /// since its checkpoint) and starts it hearing about new messages.
    private func startTasks(_ configuration: Configuration, decider: InquiryDecider?) throws {
        let runtime = TaskRuntime(store: store, routing: configuration.routing, decider: decider, hub: agentEvents,
                                  logger: logger.child("tasks"))
        let authenticator = AgentAuthenticator(store: store, agents: configuration.routing.agents, environment: environment,
                                               logger: logger.child("agent-api"))
        agentServices.withLock { $0 = AgentServices(runtime: runtime, authenticator: authenticator) }
        installCommitListener()
        do {
            try runtime.start()
        } catch {
            throw DaemonError(message: "the task runtime could not load open tasks from the store: \(error)")
        }
    }

    /// Everything that must hear of newly committed messages, in one place.
    private func installCommitListener() {
        let runtime = tasks
        store.setCommitListener { [autoAnswers] committed in
            autoAnswers.handle(committed)
            runtime?.heard(committed)
        }
    }

    /// Classification happens on the ingesting thread, before the store queues the message.
    @discardableResult
    private func installDecider(_ configuration: Configuration) throws -> InquiryDecider? {
        guard configuration.classifier.enabled else {
            store.setDecider(nil)
            currentDecider.withLock { $0 = nil }
            return nil
        }
        let decider: InquiryDecider
        do {
            decider = try InquiryDecider(settings: configuration.classifier, routing: configuration.routing)
        } catch {
            throw DaemonError(message: "the classifier cannot be built: \(error)")
        }
        recentContacts.configure(window: configuration.classifier.repeatedContactWindow,
                                 capacity: configuration.classifier.maxTrackedSenders)
        store.setDecider { [recentContacts] in decider.decide($0, recentContactCount: recentContacts.record($0)) }
        currentDecider.withLock { $0 = decider }
        return decider
    }

    /// The sender of a running adapter configured to send (nil: unknown, stopped, or receive-only).
    func outboundSender(adapterID: String) -> (any OutboundSender)? {
        running.withLock { $0.adapters[adapterID]?.adapter }?.outboundSender
    }

    // MARK: - Reload

    /// Applies a configuration that loaded cleanly. Listeners that changed are rebound (a new one
    /// that cannot bind makes the whole reload fail and the old listeners keep serving); local
    /// adapters are swapped in place; a key only a restart applies (`RestartOnlySettings`) is
    /// logged as a warning, once per reload until the restart.
    public func reload(to new: Configuration) throws -> ConfigurationChanges {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        let old = configuration
        let changes = ConfigurationChanges(from: old, to: new, inForce: inForce)
        // A classifier that cannot be built (model file unreadable or corrupt) rejects the reload.
        let decider = try installDecider(new)
        if let services = agentServices.withLock({ $0 }) {
            services.runtime.reconfigure(routing: new.routing, decider: decider)
            let authenticator = AgentAuthenticator(store: store, agents: new.routing.agents, environment: environment,
                                                   logger: logger.child("agent-api"))
            agentServices.withLock { $0?.authenticator = authenticator }
        }
        let limitsChanged = changes.changedSections.contains("limits")
        let rebind = Set(changes.changedListeners + changes.addedListeners + (limitsChanged ? Array(new.listeners.keys) : []))

        // Adapters: stop the removed and changed ones, start the added and changed ones.
        let previousAdapters = running.withLock { $0.adapters }
        let toStop = (changes.removedAdapters + changes.changedAdapters).compactMap { previousAdapters[$0] }
        stopAdapters(toStop)
        let toStart = new.adapters.filter { $0.enabled && (changes.addedAdapters.contains($0.id) || changes.changedAdapters.contains($0.id)
                                                           || (previousAdapters[$0.id] == nil && changes.unchangedAdapters.contains($0.id))) }
        let startedAdapters = startAdapters(toStart, configuration: new)
        running.withLock { state in
            for id in changes.removedAdapters + changes.changedAdapters { state.adapters.removeValue(forKey: id) }
            for instance in new.adapters where !instance.enabled { state.adapters.removeValue(forKey: instance.id) }
            for (id, adapter) in startedAdapters { state.adapters[id] = adapter }
        }

        // Bind every new or changed listener first; an address in use fails the reload before anything changes.
        var fresh: [String: RunningListener] = [:]
        var alreadyStopped: Set<String> = []
        let current = running.withLock { $0.listeners }
        do {
            for name in rebind.sorted() {
                // A changed listener on the same address must release it first: stop it, then bind.
                if let existing = current[name], sameAddress(existing.settings, new.listeners[name]) {
                    existing.ingest?.stopAccepting()
                    _ = existing.server.shutdown(gracefulTimeout: .seconds(5))
                    alreadyStopped.insert(name)
                }
                fresh[name] = try startListener(name: name, configuration: new)
            }
        } catch {
            for listener in fresh.values { _ = listener.server.shutdown(gracefulTimeout: .seconds(1)) }
            // Restore any listener we stopped to free its address.
            for name in rebind where current[name] != nil && fresh[name] == nil {
                if let restored = try? startListener(name: name, configuration: old) {
                    running.withLock { $0.listeners[name] = restored }
                }
            }
            throw error
        }
        var retired: [RunningListener] = []
        running.withLock { state in
            for name in changes.removedListeners {
                if let gone = state.listeners.removeValue(forKey: name) { retired.append(gone) }
            }
            for (name, listener) in fresh {
                if let previous = state.listeners[name], !alreadyStopped.contains(name) { retired.append(previous) }
                state.listeners[name] = listener
            }
            state.configuration = new
        }
        for listener in retired {
            listener.ingest?.stopAccepting()
            metrics.unregister("listener.\(listener.name)")
            _ = listener.server.shutdown(gracefulTimeout: .seconds(5))
        }
        // Listeners kept as they were get the new adapter set and limits.
        for (name, listener) in running.withLock({ $0.listeners }) where fresh[name] == nil {
            listener.ingest?.configure(adapters: localAdapters(on: name, new), limits: ingestLimits(new))
            listener.router.replace(makeRouter(listener: name, settings: listener.settings, ingest: listener.ingest, configuration: new))
        }
        outbox.update(new.outbox)
        for change in changes.needsRestart {
            logger.warning("reload cannot apply a change: \(change)",
                           ["key": change.key, "in_force": change.running, "configured": change.configured])
        }
        for id in changes.addedAdapters { logger.info("adapter added", ["adapter": id]) }
        for id in changes.changedAdapters { logger.info("adapter restarted with new settings", ["adapter": id]) }
        for id in changes.removedAdapters { logger.info("adapter removed", ["adapter": id]) }
        return changes
    }

    private func sameAddress(_ a: ListenerSettings, _ b: ListenerSettings?) -> Bool {
        guard let b else { return false }
        switch (a, b) {
        case let (.unix(x), .unix(y)): return x.path == y.path
        case let (.tcp(x), .tcp(y)): return x.port == y.port && (x.address == y.address || x.port == 0)
        default: return false
        }
    }

    // MARK: - Shutdown

    /// Stops taking new work, lets in-flight requests finish (their acknowledgements go out after
    /// commit), drains the store's queue, and closes it. Returns whether it finished in time.
    @discardableResult
    public func shutdown(timeout: Duration) -> Bool {
        lifecycle.lock()
        defer { lifecycle.unlock() }
        let listeners = running.withLock { state -> [RunningListener] in
            state.state = "stopping"
            return Array(state.listeners.values)
        }
        for listener in listeners { listener.ingest?.stopAccepting() }
        // Event streams never end on their own: close them so the listeners can drain.
        agentEvents.closeAll()
        let adapters = running.withLock { Array($0.adapters.values) }
        var graceful = true
        for listener in listeners {
            let result = listener.server.shutdown(gracefulTimeout: timeout)
            if !result.graceful {
                graceful = false
                logger.warning("listener did not drain in time; connections closed", ["listener": listener.name, "closed": String(result.forciblyClosed)])
            }
        }
        // Attempts in flight finish and are recorded; rows not yet tried stay pending in the store.
        outbox.stop(timeout: timeout)
        stopAdapters(adapters)
        store.setCommitListener(nil)
        autoAnswers.flush()
        tasks?.stop()
        store.close()
        running.withLock { $0.state = "stopped"; $0.listeners = [:]; $0.adapters = [:] }
        return graceful
    }

    // MARK: - Health

    /// True while the parts that must make progress do: every listener's event loop answered
    /// the previous probe, and the store's writer is not wedged. The writer counts as wedged when
    /// messages have been waiting and no batch was committed between two checks; the watchdog
    /// pings only while this holds, so systemd restarts a daemon that stopped making progress.
    public func isHealthy() -> Bool {
        let listeners = running.withLock { Array($0.listeners.values) }
        // Probe every loop (each call also sends the next probe), then judge.
        let loopsAlive = listeners.map { $0.server.isResponsive() }.allSatisfy { $0 }
        guard loopsAlive else { return false }
        let committed = store.metrics.batchesCommitted
        let pending = store.pendingCount
        return progress.withLock { last in
            defer { last = (committed, pending) }
            guard let previous = last else { return true }
            return !(previous.pending > 0 && pending > 0 && committed == previous.committed)
        }
    }
    private let progress = Mutex<(committed: Int, pending: Int)?>(nil)

    public struct DaemonError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

/// Lets the outbox's closures reach the daemon without a retain cycle.
final class WeakDaemon: @unchecked Sendable {
    weak var daemon: Daemon?
}

/// Builds a daemon from a configuration that loaded cleanly: opens (and migrates) the store,
/// prepares listeners and adapters. Nothing listens until `start()`.
public func buildDaemon(configuration: Configuration, logger: Logger,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Daemon {
    let options = StoreOptions(synchronous: configuration.store.synchronous == .full ? .full : .normal,
                               continuationWindow: TimeInterval(configuration.store.continuationWindow.components.seconds))
    let store: Store
    do {
        store = try Store(path: configuration.store.path, options: options, logger: logger.child("store"))
    } catch {
        throw Daemon.DaemonError(message: "cannot open the store at \(configuration.store.path): \(error)")
    }
    return Daemon(configuration: configuration, store: store, logger: logger, environment: environment)
}

extension Configuration {
    /// The socket the client commands talk to: the first unix listener that serves a local adapter,
    /// else the first unix listener.
    public var ingestSocketPath: String? {
        var unixPaths: [(String, String)] = []
        for (name, settings) in listeners {
            if case .unix(let unix) = settings { unixPaths.append((name, unix.path)) }
        }
        unixPaths.sort { $0.0 < $1.0 }
        for adapter in adapters where adapter.enabled {
            if let local = adapter.settings(as: LocalAdapterSettings.self), let match = unixPaths.first(where: { $0.0 == local.listener }) {
                return match.1
            }
        }
        return unixPaths.first?.1
    }
}
