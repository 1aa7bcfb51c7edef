import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardSystem

/// What the IMAP poll thread reports and `switchboard status` / `/metrics` read: the phase,
/// the checkpoint, counters, the last failure. Shared between the poll thread and readers.
final class IMAPAdapterStatus: Sendable {
    enum Phase: Sendable {
        case starting
        case connecting
        case fetching(done: Int, total: Int)
        case idle
        case waiting(until: Date)
        case paused(pending: Int)
        case failing(error: String, hint: String?, since: Date, attempts: Int, retryAt: Date)
        case stopped
    }

    struct Snapshot: Sendable {
        var phase: Phase = .starting
        var checkpoint: IMAPCheckpoint?
        var connected = false
        var usesIdle = false
        var lastMailAt: Date?
        var stored = 0
        var duplicates = 0
        var quarantined = 0
        var fetchedBytes = 0
        var postActionFailures = 0
        var lastPostActionError: String?
        var uidValidityChanges = 0
        var errors: [String: Int] = [:]
    }

    private let state = Mutex(Snapshot())
    let mailbox: String
    let postAction: String

    init(mailbox: String, postAction: String) {
        self.mailbox = mailbox
        self.postAction = postAction
    }

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }

    var snapshot: Snapshot { state.withLock { $0 } }

    /// One line for `switchboard status`.
    var detail: String {
        let s = snapshot
        var parts: [String] = []
        switch s.phase {
        case .starting: parts.append("starting")
        case .connecting: parts.append("connecting")
        case .fetching(let done, let total): parts.append("fetching \(done)/\(total)")
        case .idle: parts.append("idle (IMAP IDLE): new mail arrives within seconds")
        case .waiting(let until): parts.append("polling; next poll at \(Self.clock(until))")
        case .paused(let pending): parts.append("paused: \(pending) messages wait for the store")
        case .failing(let error, let hint, let since, let attempts, let retryAt):
            var text = "failing since \(Self.clock(since)) (\(attempts) attempt\(attempts == 1 ? "" : "s")): \(error)"
            if let hint { text += " (\(hint))" }
            text += "; next try at \(Self.clock(retryAt))"
            parts.append(text)
        case .stopped: parts.append("stopped")
        }
        var where_ = "mailbox \(mailbox)"
        if let checkpoint = s.checkpoint { where_ += " at \(checkpoint)" }
        parts.append(where_)
        var counts = "\(s.stored) stored, \(s.duplicates) duplicates, \(s.quarantined) quarantined"
        if let last = s.lastMailAt { counts += ", last mail \(Self.clock(last))" }
        parts.append(counts)
        if s.postActionFailures > 0, let error = s.lastPostActionError {
            parts.append("post-action \(postAction) failed \(s.postActionFailures)x, last: \(error)")
        }
        return parts.joined(separator: "; ")
    }

    func metrics(adapterID: String) -> [MetricFamily] {
        let s = snapshot
        let adapter = ("adapter", adapterID)
        var families = [
            MetricFamily(name: "switchboard_imap_messages_total", help: "Mails handled by IMAP adapters, by outcome.", kind: .counter, samples: [
                .init(labels: [adapter, ("outcome", "stored")], value: Double(s.stored)),
                .init(labels: [adapter, ("outcome", "duplicate")], value: Double(s.duplicates)),
                .init(labels: [adapter, ("outcome", "quarantined")], value: Double(s.quarantined)),
            ]),
            MetricFamily.single("switchboard_imap_fetched_bytes_total", "Bytes of mail fetched.", .counter, Double(s.fetchedBytes), labels: [adapter]),
            MetricFamily.single("switchboard_imap_connected", "1 while the adapter holds a logged-in connection.", .gauge, s.connected ? 1 : 0, labels: [adapter]),
            MetricFamily.single("switchboard_imap_last_uid", "The highest UID committed (the checkpoint).", .gauge,
                                Double(s.checkpoint?.lastUID ?? 0), labels: [adapter]),
            MetricFamily.single("switchboard_imap_post_action_failures_total", "Post-actions the server refused.", .counter,
                                Double(s.postActionFailures), labels: [adapter]),
            MetricFamily.single("switchboard_imap_uidvalidity_changes_total", "Times the mailbox was found renumbered.", .counter,
                                Double(s.uidValidityChanges), labels: [adapter]),
        ]
        families.append(MetricFamily(name: "switchboard_imap_errors_total", help: "Failed connections and polls, by kind.", kind: .counter,
                                     samples: s.errors.sorted { $0.key < $1.key }.map { .init(labels: [adapter, ("kind", $0.key)], value: Double($0.value)) }))
        return families
    }

    private static func clock(_ date: Date) -> String {
        RFC3339.format(date)
    }
}
