import Foundation
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// The outbox on the local socket (whose file mode is its access control): replies to a
/// conversation, and the admin's view of what is waiting, sent and dead (docs/outbox.md).
struct OutboxRoutes {
    let daemon: Daemon

    func register(on router: inout HTTPRouter) {
        router.add("POST", "/v1/conversations/{id}/replies") { [daemon] request, responder in
            Self.reply(daemon, request, responder)
        }
        router.add("GET", "/v1/outbox") { [daemon] request, responder in
            let stateText = request.queryValue("state")
            var state: OutboxState?
            if let stateText, stateText != "all" {
                guard let parsed = OutboxState(rawValue: stateText) else {
                    return responder.send(.jsonError(status: 400, code: "invalid_state", message: "unknown state \(stateText)",
                                                     hint: "one of " + OutboxState.allCases.map(\.rawValue).joined(separator: ", ") + ", all",
                                                     field: "state"))
                }
                state = parsed
            }
            let limit = min(1000, max(1, request.queryValue("limit").flatMap(Int.init) ?? 100))
            APIRoutes.readers.async { [state] in
                do {
                    let entries = try daemon.store.outboxEntries(state: state, limit: limit)
                    var w = JSONWriter(capacity: 256 * max(1, entries.count))
                    w.object { w in
                        w.field("entries", array: { w in for entry in entries { OutboxJSON.write(entry, into: &w) } })
                    }
                    responder.send(.json(w.bytes))
                } catch {
                    responder.send(.jsonError(status: 500, code: "store_failed", message: "\(error)"))
                }
            }
        }
        router.add("POST", "/v1/outbox/{id}/retry") { [daemon] request, responder in
            let id = request.pathParameters["id"] ?? ""
            guard SortableID.isWellFormed(id, prefix: "ob") else {
                return responder.send(.jsonError(status: 404, code: "not_found", message: "no outbox entry \(id)", hint: "outbox ids look like ob_01…"))
            }
            Task {
                do {
                    if try await daemon.store.requeueOutbox(id: id) {
                        daemon.outbox.wake()
                        let entry = try? daemon.store.outboxEntry(id: id)
                        var w = JSONWriter(capacity: 512)
                        if let entry { OutboxJSON.write(entry, into: &w) } else { w.object { $0.field("id", id) } }
                        responder.send(.json(w.bytes, status: 202))
                    } else if try daemon.store.outboxEntry(id: id) == nil {
                        responder.send(.jsonError(status: 404, code: "not_found", message: "no outbox entry \(id)"))
                    } else {
                        responder.send(.jsonError(status: 409, code: "not_dead", message: "outbox entry \(id) is not dead or failed",
                                                  hint: "only dead or failed entries can be re-queued; pending ones are retried by themselves"))
                    }
                } catch {
                    responder.send(.jsonError(status: 503, code: "store_failed", message: "\(error)"))
                }
            }
        }
    }

    /// `POST /v1/conversations/{id}/replies`: `{"text": …, "html"?, "subject"?, "channel"?, "author"?}`
    /// with an optional `Idempotency-Key` header. 202 after COMMIT (200 for a repeated key).
    static func reply(_ daemon: Daemon, _ request: HTTPRequest, _ responder: HTTPResponder) {
        let conversationID = request.pathParameters["id"] ?? ""
        guard SortableID.isWellFormed(conversationID, prefix: "cv") else {
            return responder.send(.jsonError(status: 404, code: "not_found", message: "no conversation \(conversationID)",
                                             hint: "conversation ids look like cv_01…"))
        }
        guard let body = try? JSONParser(maxDepth: 8).parse(request.body), case .object = body else {
            return responder.send(.jsonError(status: 400, code: "invalid_json", message: "the body must be a JSON object",
                                             hint: #"{"text": "Your refund is on its way.", "author": "agent-7"}"#))
        }
        var values: [String: String] = [:]
        for key in ["text", "html", "subject", "channel", "author"] {
            guard let value = body[key], !value.isNull else { continue }
            guard let text = value.stringValue else {
                return responder.send(.jsonError(status: 400, code: "invalid_field", message: "\(key) must be a string", field: key))
            }
            values[key] = text
        }
        let fields = (text: values["text"], html: values["html"], subject: values["subject"], channel: values["channel"],
                      author: values["author"])
        var channel: Channel?
        if let name = fields.channel {
            guard let parsed = Channel(rawValue: name) else {
                return responder.send(.jsonError(status: 400, code: "invalid_field", message: "unknown channel \(name)",
                                                 hint: "email or sms", field: "channel"))
            }
            channel = parsed
        }
        let key = request.headers["Idempotency-Key"]
        Task {
            do throws(ReplyError) {
                let receipt = try await daemon.replies.reply(conversationID: conversationID, author: fields.author ?? "api",
                                                             text: fields.text ?? "", html: fields.html, subject: fields.subject,
                                                             channel: channel, idempotencyKey: key)
                // A reply on a conversation with an open task stops its first-response clock.
                if !receipt.duplicate, let author = fields.author {
                    daemon.tasks?.agentReplied(conversationID: conversationID, agent: author, messageID: receipt.messageID,
                                               awaitingCustomer: false)
                }
                responder.send(.json(receipt.json, status: receipt.duplicate ? 200 : 202))
            } catch {
                var response = HTTPResponse.jsonError(status: error.status, code: error.code, message: error.message, hint: error.hint)
                if error.status == 503 { response.headers.replaceOrAdd(name: "Retry-After", value: "1") }
                responder.send(response)
            }
        }
    }
}

/// JSON shapes of outbox rows (docs/outbox.md).
enum OutboxJSON {
    static func write(_ e: OutboxEntry, into w: inout JSONWriter) {
        w.object { w in
            w.field("id", e.id)
            w.field("message", e.messageID)
            w.field("conversation", e.message.conversationID)
            w.field("adapter", e.adapterID)
            w.field("channel", e.channel.rawValue)
            w.field("to", e.recipient)
            w.field("author", e.message.author)
            w.field("automatic", e.message.isAutomatic)
            w.field("state", e.state.rawValue)
            w.field("attempts", e.attempts)
            if e.state == .pending { w.field("next_attempt_at", RFC3339.format(e.nextAttemptAt)) }
            w.fieldIfPresent("last_error", e.lastError)
            w.fieldIfPresent("provider_id", e.providerID)
            w.fieldIfPresent("email_message_id", e.emailMessageID)
            w.field("created_at", RFC3339.format(e.createdAt))
            w.field("updated_at", RFC3339.format(e.updatedAt))
        }
    }

    /// The `delivery` member of an outbound message in `GET /v1/messages/{id}`.
    static func writeDelivery(_ e: OutboxEntry, into w: inout JSONWriter) {
        w.field("delivery", object: { w in
            w.field("state", e.state.deliveryState.rawValue)
            w.field("outbox", e.id)
            w.field("adapter", e.adapterID)
            w.field("attempts", e.attempts)
            if e.state == .pending { w.field("next_attempt_at", RFC3339.format(e.nextAttemptAt)) }
            w.fieldIfPresent("last_error", e.lastError)
            w.fieldIfPresent("provider_id", e.providerID)
            w.field("author", e.message.author)
            w.field("automatic", e.message.isAutomatic)
        })
    }
}

/// The outbox in `GET /v1/status`, `switchboard status` and `/metrics`.
enum OutboxStatus {
    static func write(_ daemon: Daemon, into w: inout JSONWriter) {
        let counts = try? daemon.store.outboxCounts()
        let snapshot = daemon.outbox.snapshot
        let totals = snapshot.stats.values.reduce(into: (sent: 0, retries: 0, dead: 0)) { t, s in
            t.sent += s.sent
            t.retries += s.retries
            t.dead += s.dead
        }
        w.field("outbox", object: { w in
            if let counts {
                w.field("pending", counts.pending)
                w.field("dead", counts.dead)
            }
            if let early = try? daemon.store.earlyReceiptCount() { w.field("early_receipts", early) }
            w.field("in_flight", snapshot.inFlight)
            w.field("sent_since_start", totals.sent)
            w.field("retries_since_start", totals.retries)
            w.field("dead_since_start", totals.dead)
            if let last = snapshot.lastError {
                w.field("last_error", last.text)
                w.field("last_error_at", RFC3339.format(last.at))
            }
            let auto = daemon.autoAnswers.statistics
            if !auto.isEmpty {
                w.field("automatic_answers", object: { w in for (k, v) in auto.sorted(by: { $0.key < $1.key }) { w.field(k, v) } })
            }
        })
    }

    static func metrics(_ daemon: Daemon) -> [MetricFamily] {
        let counts = try? daemon.store.outboxCounts()
        let snapshot = daemon.outbox.snapshot
        var attempts: [MetricFamily.Sample] = []
        for adapter in snapshot.stats.keys.sorted() {
            let s = snapshot.stats[adapter]!
            for (outcome, value) in [("sent", s.sent), ("retry", s.retries), ("dead", s.dead)] {
                attempts.append(.init(labels: [("adapter", adapter), ("outcome", outcome)], value: Double(value)))
            }
        }
        var auto: [MetricFamily.Sample] = []
        for (outcome, value) in daemon.autoAnswers.statistics.sorted(by: { $0.key < $1.key }) {
            auto.append(.init(labels: [("outcome", outcome)], value: Double(value)))
        }
        return [
            .single("switchboard_outbox_pending", "Outbound messages waiting for their first or next attempt.", .gauge, Double(counts?.pending ?? 0)),
            .single("switchboard_outbox_dead", "Outbound messages on the dead-letter list.", .gauge, Double(counts?.dead ?? 0)),
            .single("switchboard_outbox_early_receipts", "Delivery receipts kept until the send they report is recorded.", .gauge,
                    Double((try? daemon.store.earlyReceiptCount()) ?? 0)),
            .single("switchboard_outbox_in_flight", "Delivery attempts running now.", .gauge, Double(snapshot.inFlight)),
            MetricFamily(name: "switchboard_outbox_attempts_total", help: "Delivery attempts since start, by adapter and outcome.",
                         kind: .counter, samples: attempts),
            MetricFamily(name: "switchboard_auto_answers_total", help: "Automatic answers since start, by outcome.",
                         kind: .counter, samples: auto),
        ]
    }
}
