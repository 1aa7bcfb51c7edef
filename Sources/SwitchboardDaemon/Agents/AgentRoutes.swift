import Dispatch
import Foundation
import SwitchboardChannels
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore

/// The agent API (docs/agent-api.md). The same calls are served twice:
/// - on the local socket, under `/v1/agents/{agent}/…`, for supervisors and tools (the socket's
///   file mode is the access control), with the board, the supervisor event stream, task
///   histories and token management;
/// - on the TCP listener named in `agent_api.listener`, under `/v1/me/…`, where the agent is the
///   one whose bearer token came with the request and may act only on their own work.
struct AgentRoutes {
    let runtime: TaskRuntime
    let store: Store
    let authenticator: AgentAuthenticator
    /// Sends replies through the outbox.
    let replies: ReplyService

    static let readers = DispatchQueue(label: "switchboard.agents.readers", attributes: .concurrent)

    /// Who is asking: the agent named in the path (local socket) or the token's agent.
    enum Caller: Sendable {
        case supervisor(agent: String)
        case agent(String)

        var agent: String {
            switch self {
            case .supervisor(let agent), .agent(let agent): agent
            }
        }
        /// The agent whose ownership is checked; nil for a supervisor (may act on anything).
        var restrictedTo: String? {
            if case .agent(let agent) = self { return agent }
            return nil
        }
    }

    typealias Identify = @Sendable (HTTPRequest, @escaping @Sendable (Result<Caller, AgentAPIError>) -> Void) -> Void

    // MARK: Registration

    func registerOperator(on router: inout HTTPRouter) {
        let identify: Identify = { request, done in
            let agent = request.pathParameters["agent"] ?? ""
            done(.success(.supervisor(agent: agent)))
        }
        registerAgentCalls(on: &router, prefix: "/v1/agents/{agent}", identify: identify)
        let runtime = self.runtime, store = self.store
        router.add("GET", "/v1/agents") { _, responder in runtime.board { Self.answer(responder, $0) } }
        router.add("GET", "/v1/events") { _, responder in
            runtime.board { result in
                guard case .success(let greeting) = result else { return Self.answer(responder, result) }
                if !runtime.hub.subscribe(agent: nil, responder: responder, greeting: greeting) {
                    responder.send(.jsonError(status: 503, code: "too_many_streams", message: "too many event streams are open"))
                }
            }
        }
        router.add("GET", "/v1/tasks/{task}") { request, responder in
            let id = request.pathParameters["task"] ?? ""
            Self.taskHistory(responder, runtime: runtime, store: store) { store throws(StoreError) in try store.task(id: id) }
        }
        // The task a message opened (for `switchboard explain`).
        router.add("GET", "/v1/messages/{id}/task") { request, responder in
            let id = request.pathParameters["id"] ?? ""
            Self.taskHistory(responder, runtime: runtime, store: store) { store throws(StoreError) in try store.task(openedBy: id) }
        }
        let authenticator = self.authenticator
        router.add("POST", "/v1/agents/{agent}/tokens") { request, responder in
            let agent = request.pathParameters["agent"] ?? ""
            let label = Self.body(request).flatMap { $0["label"]?.stringValue }
            Task {
                do {
                    let token = try await authenticator.issue(agent: agent, label: label)
                    var w = JSONWriter(capacity: 256)
                    w.object { w in
                        w.field("agent", agent)
                        w.field("token", token)
                        w.field("note", "shown once: Switchboard keeps only its SHA-256")
                    }
                    responder.send(.json(w.bytes, status: 201))
                } catch let error as AgentAPIError {
                    Self.answer(responder, .failure(error))
                } catch {
                    Self.answer(responder, .failure(.invalid("\(error)")))
                }
            }
        }
        router.add("DELETE", "/v1/agents/{agent}/tokens") { request, responder in
            let agent = request.pathParameters["agent"] ?? ""
            Task {
                do {
                    let count = try await store.revokeAgentTokens(agentID: agent)
                    var w = JSONWriter(capacity: 96)
                    w.object { w in
                        w.field("agent", agent)
                        w.field("revoked", count)
                    }
                    responder.send(.json(w.bytes))
                } catch {
                    responder.send(.jsonError(status: 500, code: "store_failed", message: "\(error)"))
                }
            }
        }
    }

    func registerBearer(on router: inout HTTPRouter) {
        let authenticator = self.authenticator
        registerAgentCalls(on: &router, prefix: "/v1/me") { request, done in
            authenticator.authenticate(request) { result in done(result.map { .agent($0) }) }
        }
    }

    private func registerAgentCalls(on router: inout HTTPRouter, prefix: String, identify: @escaping Identify) {
        let runtime = self.runtime
        func add(_ method: String, _ path: String, _ handler: @escaping @Sendable (HTTPRequest, Caller, HTTPResponder) -> Void) {
            router.add(method, prefix + path) { request, responder in
                identify(request) { result in
                    switch result {
                    case .success(let caller): handler(request, caller, responder)
                    case .failure(let error): Self.answer(responder, .failure(error))
                    }
                }
            }
        }
        add("GET", "") { _, caller, responder in runtime.overview(agent: caller.agent) { Self.answer(responder, $0) } }
        add("GET", "/assignments") { _, caller, responder in runtime.overview(agent: caller.agent) { Self.answer(responder, $0) } }
        for method in ["PUT", "POST"] {
            add(method, "/status") { request, caller, responder in
                guard let text = Self.body(request)?["status"]?.stringValue, let status = AgentStatus(rawValue: text) else {
                    return Self.answer(responder, .failure(.invalid("the body needs \"status\": one of available, busy, away, offline")))
                }
                runtime.setStatus(agent: caller.agent, to: status) { Self.answer(responder, $0) }
            }
        }
        add("POST", "/tasks/{task}/accept") { request, caller, responder in
            runtime.accept(agent: caller.agent, task: request.pathParameters["task"] ?? "") { Self.answer(responder, $0) }
        }
        add("POST", "/tasks/{task}/decline") { request, caller, responder in
            runtime.decline(agent: caller.agent, task: request.pathParameters["task"] ?? "") { Self.answer(responder, $0) }
        }
        add("POST", "/tasks/{task}/transfer") { request, caller, responder in
            let body = Self.body(request)
            runtime.transfer(task: request.pathParameters["task"] ?? "", by: caller.restrictedTo,
                             toQueue: body?["queue"]?.stringValue, toAgent: body?["agent"]?.stringValue) { Self.answer(responder, $0) }
        }
        let store = self.store, replies = self.replies
        add("GET", "/conversations/{conversation}") { request, caller, responder in
            let id = request.pathParameters["conversation"] ?? ""
            Self.authorized(caller, conversation: id, runtime: runtime, responder: responder) {
                Self.readers.async {
                    do {
                        guard let conversation = try store.conversation(id: id) else {
                            return responder.send(.jsonError(status: 404, code: "not_found", message: "no conversation \(id)"))
                        }
                        let messages = try store.messages(conversationID: id, limit: 500)
                        let contact = try store.contact(id: conversation.contactID)
                        let history = try store.recentMessages(contactID: conversation.contactID, limit: 100)
                        let tasks = try store.tasks(conversationID: id)
                        var w = JSONWriter(capacity: 8192)
                        w.object { w in
                            w.field("id", id)
                            w.field("status", conversation.isOpen ? "open" : "resolved")
                            w.field("tasks", array: { w in for task in tasks { w.object { w in AgentJSON.write(task, into: &w) } } })
                            w.field("messages", array: { w in for message in messages { MessageJSON.write(message, into: &w) } })
                            if let contact {
                                w.key("contact")
                                MessageJSON.write(contact, recent: history, into: &w)
                            }
                        }
                        responder.send(.json(w.bytes))
                    } catch {
                        responder.send(.jsonError(status: 500, code: "store_failed", message: "\(error)"))
                    }
                }
            }
        }
        add("POST", "/conversations/{conversation}/replies") { request, caller, responder in
            let id = request.pathParameters["conversation"] ?? ""
            guard let body = Self.body(request), let text = body["text"]?.stringValue, !text.isEmpty else {
                return Self.answer(responder, .failure(.invalid("the body needs \"text\": the reply")))
            }
            let requested = body["channel"]?.stringValue
            let channel = requested.flatMap(Channel.init(rawValue:))
            if let requested, channel == nil {
                return Self.answer(responder, .failure(.invalid("unknown channel \(requested)")))
            }
            let awaiting = body["awaiting_customer"]?.boolValue ?? false
            let key = request.head.headers["Idempotency-Key"]
            Self.authorized(caller, conversation: id, runtime: runtime, responder: responder) {
                // Without a channel, the answer goes where the matrix said (the task's response channel).
                runtime.openTask(conversationID: id) { task in
                    let channel = channel ?? task?.channel
                    Task {
                        do throws(ReplyError) {
                            let sent = try await replies.reply(conversationID: id, author: caller.agent, text: text,
                                                               html: body["html"]?.stringValue, subject: body["subject"]?.stringValue,
                                                               channel: channel, idempotencyKey: key)
                            if !sent.duplicate {
                                runtime.agentReplied(conversationID: id, agent: caller.agent, messageID: sent.messageID, awaitingCustomer: awaiting)
                            }
                            responder.send(.json(sent.json, status: sent.duplicate ? 200 : 202))
                        } catch {
                            Self.answer(responder, .failure(AgentAPIError(status: error.status, code: error.code, message: error.message, hint: error.hint)))
                        }
                    }
                }
            }
        }
        add("POST", "/conversations/{conversation}/resolve") { request, caller, responder in
            runtime.resolve(conversationID: request.pathParameters["conversation"] ?? "", by: caller.restrictedTo) { Self.answer(responder, $0) }
        }
        add("POST", "/conversations/{conversation}/reopen") { request, caller, responder in
            runtime.reopen(conversationID: request.pathParameters["conversation"] ?? "", by: caller.restrictedTo) { Self.answer(responder, $0) }
        }
        add("GET", "/events") { _, caller, responder in
            runtime.overview(agent: caller.agent) { result in
                guard case .success(let greeting) = result else { return Self.answer(responder, result) }
                if !runtime.hub.subscribe(agent: caller.agent, responder: responder, greeting: greeting) {
                    responder.send(.jsonError(status: 503, code: "too_many_streams", message: "too many event streams are open"))
                }
            }
        }
    }

    // MARK: Helpers

    /// A task with every event and, while it is open, its SLA clocks as they stand.
    private static func taskHistory(_ responder: HTTPResponder, runtime: TaskRuntime, store: Store,
                                    find: @escaping @Sendable (Store) throws(StoreError) -> TaskRecord?) {
        readers.async {
            do throws(StoreError) {
                guard let task = try find(store) else {
                    return responder.send(.jsonError(status: 404, code: "not_found", message: "no such task"))
                }
                let events = try store.taskEvents(taskID: task.id)
                runtime.slaState(task: task.id) { sla in
                    var w = JSONWriter(capacity: 2048)
                    w.object { w in
                        AgentJSON.write(task, into: &w)
                        if let sla { AgentJSON.writeSLA(sla, at: Date(), into: &w) }
                        w.field("events", array: { w in
                            for event in events {
                                w.object { w in
                                    w.field("at", RFC3339.format(event.at))
                                    w.field("kind", event.kind)
                                    w.fieldIfPresent("agent", event.agentID)
                                    if !event.details.isEmpty {
                                        w.field("details", sortedStrings: event.details)
                                    }
                                }
                            }
                        })
                    }
                    responder.send(.json(w.bytes))
                }
            } catch {
                responder.send(.jsonError(status: 500, code: "store_failed", message: "\(error)"))
            }
        }
    }

    private static func authorized(_ caller: Caller, conversation: String, runtime: TaskRuntime, responder: HTTPResponder,
                                   _ then: @escaping @Sendable () -> Void) {
        guard let agent = caller.restrictedTo else { return then() }
        runtime.mayAccess(agent: agent, conversationID: conversation) { allowed in
            if allowed { then() } else {
                answer(responder, .failure(.forbidden("conversation \(conversation) is not assigned to you")))
            }
        }
    }

    static func body(_ request: HTTPRequest) -> JSONValue? {
        guard !request.body.isEmpty else { return nil }
        return try? JSONParser(maxDepth: 16).parse(request.body)
    }

    static func answer(_ responder: HTTPResponder, _ result: Result<[UInt8], AgentAPIError>) {
        switch result {
        case .success(let body): responder.send(.json(body))
        case .failure(let error): responder.send(.jsonError(status: error.status, code: error.code, message: error.message, hint: error.hint))
        }
    }
}

extension ReplyReceipt {
    /// The answer of a replies route.
    var json: [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.object { w in
            w.field("message", messageID)
            w.field("outbox", outboxID)
            w.field("conversation", conversationID)
            w.field("channel", channel.rawValue)
            w.field("adapter", adapterID)
            w.field("to", recipient)
            w.field("duplicate", duplicate)
            w.fieldIfPresent("note", note)
        }
        return w.bytes
    }
}
