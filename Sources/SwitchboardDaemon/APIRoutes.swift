import Dispatch
import Foundation
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore
import SwitchboardSystem

/// The daemon's own read API on its listeners: health, status, metrics, and (on the local
/// socket, whose file mode is its access control) stored messages and contacts.
/// Store reads are blocking SQLite calls, so they run on a reader queue, never on the event loop.
struct APIRoutes {
    let daemon: Daemon
    static let readers = DispatchQueue(label: "switchboard.api.readers", qos: .userInitiated, attributes: .concurrent)

    func register(on router: inout HTTPRouter, includeOperatorAPI: Bool) {
        router.add("GET", "/v1/health") { [daemon] _, responder in
            let state = daemon.state
            if let failure = daemon.store.writeFailure {
                responder.send(.jsonError(status: 503, code: "store_refuses_writes",
                                          message: "the store refuses every write: \(failure.purpose): \(failure.message)",
                                          hint: "the disk failed to make writes durable; check the disk and the kernel log (dmesg), then restart the daemon"))
            } else if state == "running" {
                responder.send(.json("{\"status\":\"ok\"}"))
            } else {
                responder.send(.jsonError(status: 503, code: "not_running", message: "the daemon is \(state)"))
            }
        }
        router.add("GET", "/metrics") { [daemon] _, responder in
            Self.readers.async {
                var response = HTTPResponse.text(daemon.metrics.render())
                response.headers.replaceOrAdd(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
                responder.send(response)
            }
        }
        guard includeOperatorAPI else { return }
        router.add("GET", "/v1/status") { [daemon] _, responder in
            Self.readers.async { responder.send(.json(StatusReport.json(daemon))) }
        }
        Self.addRecordRoute(to: &router, path: "/v1/messages/{id}", prefix: "msg", noun: "message") { id in
            guard var message = try daemon.store.message(id: id) else { return nil }
            if let decision = message.message.decision, let decider = daemon.decider {
                let details = decider.withFeatures(decision.details, message: message.message)
                message.message.decision?.details = details
            }
            let delivery = message.direction == .outbound ? try daemon.store.outboxEntry(messageID: id) : nil
            var writer = JSONWriter(capacity: 1024)
            MessageJSON.write(message, delivery: delivery, into: &writer)
            return writer.bytes
        }
        Self.addRecordRoute(to: &router, path: "/v1/contacts/{id}", prefix: "ct", noun: "contact") { id in
            guard let contact = try daemon.store.contact(id: id) else { return nil }
            let recent = try daemon.store.recentMessages(contactID: id, limit: 50)
            var writer = JSONWriter(capacity: 2048)
            MessageJSON.write(contact, recent: recent, into: &writer)
            return writer.bytes
        }
        OutboxRoutes(daemon: daemon).register(on: &router)
    }

    /// `GET …/{id}` for one stored record: the id's shape is checked before the store is asked,
    /// the read runs on the reader queue, and nil becomes a 404 naming the id.
    private static func addRecordRoute(to router: inout HTTPRouter, path: String, prefix: String, noun: String,
                                       read: @escaping @Sendable (String) throws -> [UInt8]?) {
        router.add("GET", path) { request, responder in
            let id = request.pathParameters["id"] ?? ""
            guard SortableID.isWellFormed(id, prefix: prefix) else {
                responder.send(.jsonError(status: 404, code: "not_found", message: "no \(noun) \(id)", hint: "\(noun) ids look like \(prefix)_01…"))
                return
            }
            readers.async {
                do {
                    guard let body = try read(id) else {
                        responder.send(.jsonError(status: 404, code: "not_found", message: "no \(noun) \(id)"))
                        return
                    }
                    responder.send(.json(body))
                } catch {
                    responder.send(.jsonError(status: 500, code: "store_failed", message: "\(error)"))
                }
            }
        }
    }
}

/// JSON shapes of stored records in API answers (docs/ingest-api.md).
enum MessageJSON {
    static func write(_ stored: StoredMessage, delivery: OutboxEntry? = nil, into w: inout JSONWriter) {
        let m = stored.message
        w.object { w in
            w.field("id", stored.id)
            w.field("contact", stored.contactID)
            w.field("conversation", stored.conversationID)
            w.field("direction", stored.direction.rawValue)
            w.field("channel", m.channel.rawValue)
            w.field("adapter", m.adapterID)
            w.field("external_id", m.externalID)
            w.field("from", object: { w in
                w.field("kind", m.sender.kind.rawValue)
                w.field("value", m.sender.value)
                w.fieldIfPresent("name", m.senderName)
            })
            w.fieldIfPresent("to", m.recipient)
            w.fieldIfPresent("subject", m.subject)
            w.field("text", m.text)
            w.fieldIfPresent("html", m.html)
            w.field("attachments", array: { w in
                for a in m.attachments {
                    w.object { w in
                        w.fieldIfPresent("name", a.name)
                        w.field("content_type", a.contentType)
                        w.field("size", a.size)
                        w.fieldIfPresent("sha256", a.sha256)
                        w.fieldIfPresent("url", a.url)
                    }
                }
            })
            w.fieldIfPresent("sent_at", m.sentAt.map(RFC3339.format))
            w.field("received_at", RFC3339.format(stored.receivedAt))
            w.fieldIfPresent("thread", m.threadKey)
            if !m.replyTo.isEmpty { w.field("in_reply_to", array: { w in for key in m.replyTo { w.value(key) } }) }
            if !m.metadata.isEmpty {
                w.field("metadata", sortedStrings: m.metadata)
            }
            w.field("raw_size", m.raw.count)
            if let decision = m.decision {
                w.field("inquiry_type", decision.inquiryType)
                w.field("confidence", decision.confidence)
                w.fieldIfPresent("queue", decision.queue)
                w.fieldIfPresent("priority", decision.priority)
                w.key("decision")
                w.rawValue(decision.wholeDetails)
            }
            if let delivery { OutboxJSON.writeDelivery(delivery, into: &w) }
        }
    }

    static func write(_ contact: Contact, recent: [StoredMessage], into w: inout JSONWriter) {
        w.object { w in
            w.field("id", contact.id)
            w.fieldIfPresent("name", contact.displayName)
            w.field("created_at", RFC3339.format(contact.createdAt))
            w.field("identities", array: { w in
                for identity in contact.identities {
                    w.object { w in
                        w.field("kind", identity.kind.rawValue)
                        w.field("value", identity.value)
                    }
                }
            })
            w.field("attributes", sortedStrings: contact.attributes)
            w.field("recent_messages", array: { w in
                for stored in recent {
                    w.object { w in
                        w.field("id", stored.id)
                        w.field("conversation", stored.conversationID)
                        w.field("channel", stored.message.channel.rawValue)
                        w.field("direction", stored.direction.rawValue)
                        w.fieldIfPresent("subject", stored.message.subject)
                        w.field("received_at", RFC3339.format(stored.receivedAt))
                    }
                }
            })
        }
    }
}

/// `GET /v1/status`: what an admin needs to see at a glance.
enum StatusReport {
    static func json(_ daemon: Daemon) -> [UInt8] {
        let configuration = daemon.configuration
        let stats = try? daemon.store.stats()
        var w = JSONWriter(capacity: 1024)
        w.object { w in
            w.field("version", SwitchboardVersion.string)
            w.field("state", daemon.state)
            w.field("uptime_seconds", Date().timeIntervalSince(daemon.startedAt).rounded())
            w.field("backlog", object: { w in
                w.field("queued", daemon.store.pendingCount)
                w.field("budget", configuration.ingest.backlogBudget)
            })
            w.field("store", object: { w in
                w.field("path", daemon.store.path)   // the one open: a changed store.path waits for a restart
                if let stats {
                    w.field("bytes", stats.databaseBytes)
                    w.field("messages", stats.messages)
                    w.field("contacts", stats.contacts)
                    w.field("conversations", stats.conversations)
                    w.field("quarantined", stats.quarantined)
                }
            })
            let pending = daemon.pendingRestart
            if !pending.isEmpty {
                w.field("restart_pending", array: { w in
                    for change in pending {
                        w.object { w in
                            w.field("key", change.key)
                            w.field("in_force", change.running)
                            w.field("configured", change.configured)
                        }
                    }
                })
            }
            OutboxStatus.write(daemon, into: &w)
            let bound = daemon.boundAddresses
            w.field("listeners", array: { w in
                for name in configuration.listeners.keys.sorted() {
                    w.object { w in
                        w.field("name", name)
                        w.field("address", (bound[name] ?? []).map(\.description).joined(separator: ", "))
                    }
                }
            })
            w.field("adapters", array: { w in
                for adapter in daemon.adapterStates {
                    w.object { w in
                        w.field("id", adapter.id)
                        w.field("type", adapter.type)
                        w.field("channel", adapter.channel)
                        w.field("state", adapter.state)
                        w.fieldIfPresent("detail", adapter.detail)
                    }
                }
            })
        }
        return w.bytes
    }
}

extension Daemon {
    static func storeMetrics(_ store: Store) -> [MetricFamily] {
        let m = store.metrics
        return [
            .single("switchboard_messages_ingested_total", "Messages committed to the store.", .counter, Double(m.messagesCommitted)),
            .single("switchboard_messages_duplicate_total", "Posts recognised as duplicates of a stored message.", .counter, Double(m.duplicates)),
            .single("switchboard_store_batches_total", "Group-commit transactions.", .counter, Double(m.batchesCommitted)),
            .single("switchboard_store_batch_size_average", "Average messages per group commit.", .gauge, m.averageBatchSize),
            .single("switchboard_store_errors_total", "Store failures (items and whole batches).", .counter, Double(m.itemErrors + m.batchErrors)),
            .single("switchboard_ingest_backlog", "Messages queued for the store, not yet committed.", .gauge, Double(store.pendingCount)),
            .histogram("switchboard_store_commit_seconds",
                       "Group-commit transactions, from BEGIN to the end of COMMIT (with synchronous=FULL, waiting for the previous batch's fsync included).",
                       m.commitLatency),
            .histogram("switchboard_store_acknowledge_seconds",
                       "Writes, from being queued for the store to their acknowledgement after commit (and fsync).",
                       m.acknowledgeLatency),
        ]
    }

    static func serverMetrics(_ s: HTTPServerStatistics, listener: String) -> [MetricFamily] {
        let l = [("listener", listener)]
        var classes: [MetricFamily.Sample] = []
        for (index, count) in s.responsesByClass.enumerated() where index >= 1 {
            classes.append(.init(labels: l + [("class", "\(index)xx")], value: Double(count)))
        }
        return [
            .single("switchboard_http_connections_accepted_total", "Connections accepted.", .counter, Double(s.connectionsAccepted), labels: l),
            .single("switchboard_http_connections_active", "Open connections.", .gauge, Double(s.connectionsActive), labels: l),
            .single("switchboard_http_connections_rejected_total", "Connections refused over the limit or by policy.", .counter, Double(s.connectionsRejected + s.connectionsRefusedByPolicy), labels: l),
            .single("switchboard_http_requests_total", "Requests parsed.", .counter, Double(s.requests), labels: l),
            MetricFamily(name: "switchboard_http_responses_total", help: "Responses by status class.", kind: .counter, samples: classes),
            .single("switchboard_http_timeouts_total", "Connections closed by idle, read or write timeouts.", .counter, Double(s.idleTimeouts + s.readTimeouts + s.writeTimeouts), labels: l),
            .histogram("switchboard_http_request_seconds",
                       "Requests answered, from the event loop's wake-up that read the rest of the request to its response being queued for sending (the handler and the store's commit included).",
                       s.requestLatency, labels: l),
        ]
    }
}
