import Dispatch
import Foundation
import Glibc
import Synchronization
import SwitchboardCore
import SwitchboardNet
import SwitchboardStore

/// The poll loop of one `imap` adapter, on its own thread.
///
/// Each round: connect and log in if needed (libcurl: TLS, STARTTLS, AUTH), open the mailbox,
/// compare UIDVALIDITY with the checkpoint, list what is above the checkpoint's UID
/// (`UID FETCH n:* (UID RFC822.SIZE)`), and work through it in batches (count and bytes
/// bounded). For each batch, in this order:
///
/// 1. fetch with `BODY.PEEK[]` (nothing becomes \Seen by reading);
/// 2. parse each mail; one that cannot be read is quarantined with its raw bytes and the error;
/// 3. ingest the batch (one group commit) and wait for the COMMIT;
/// 4. only then the post-action (flag \Seen, or move) on exactly those UIDs;
/// 5. then the checkpoint (UIDVALIDITY, highest UID of the batch), committed.
///
/// A crash or a dropped connection anywhere before 5 means the batch is fetched again: what was
/// committed comes back as a duplicate of its dedupe key (`EmailAdapterMessageKey`), gets its
/// post-action, and nothing is stored twice. Post-action before checkpoint is deliberate: the
/// other order would leave mail unflagged or unmoved forever after a crash between the two.
/// A post-action the server refuses (NO) is logged and counted, and the checkpoint advances
/// anyway: the mail is safe in the store and one stuck message must not block the mailbox.
///
/// Then it waits: IMAP IDLE when the server offers it (new mail within about a second), else
/// the poll interval. Failures drop the connection and retry with jittered exponential backoff,
/// shown in status; the first good round resets it.
final class IMAPMailboxPoller {
    let settings: IMAPAdapterSettings
    let context: AdapterContext
    let status: IMAPAdapterStatus
    let wake: Int32
    let backoff: EmailAdapterBackoff

    private var session: IMAPSession?
    /// The committed checkpoint (nil until read from the store).
    private var checkpoint: IMAPCheckpoint?
    private var checkpointLoaded = false
    private var failures = 0
    private var failingSince: Date?
    /// Rounds in which the server refused to send a UID that exists.
    private var fetchFailures: [UInt32: Int] = [:]

    var logger: Logger { context.logger }
    var store: Store { context.store }

    /// Makes a logged-in transport; nil connects with libcurl (tests pass a scripted server).
    let connect: (() throws -> any IMAPTransport)?

    init(settings: IMAPAdapterSettings, context: AdapterContext, status: IMAPAdapterStatus, wake: Int32,
         connect: (() throws -> any IMAPTransport)? = nil) {
        self.settings = settings
        self.context = context
        self.status = status
        self.wake = wake
        self.connect = connect
        backoff = EmailAdapterBackoff(minimum: settings.backoffMin, maximum: settings.backoffMax)
    }

    // MARK: The loop

    func run() {
        logger.info("imap adapter polling", ["adapter": context.id, "server": settings.serverURL, "mailbox": settings.mailbox,
                                              "security": settings.security.rawValue, "post_action": settings.postAction.description])
        while !isStopping {
            do {
                try round()
            } catch {
                if case IMAPError.interrupted = error { break }
                if isStopping { break }
                handleFailure(error)
            }
        }
        disconnect(graceful: true)
        status.update { $0.phase = .stopped }
    }

    private func round() throws {
        if !checkpointLoaded { try loadCheckpoint() }
        let session = try connectedSession()
        try drain(session)
        if failures > 0 {
            logger.notice("imap adapter recovered", ["adapter": context.id, "failed_attempts": "\(failures)"])
            failures = 0
            failingSince = nil
        }
        try waitForMail(session)
    }

    private func handleFailure(_ error: any Error) {
        disconnect(graceful: false)
        failures += 1
        let now = Date()
        if failingSince == nil { failingSince = now }
        let delay = backoff.delay(attempt: failures, random: Double.random(in: 0..<1))
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        let (kind, text, hint): (String, String, String?) = switch error {
        case let imap as IMAPError: (imap.kind, imap.description, imap.hint)
        case let store as StoreError: ("store", store.description, nil)
        default: ("other", "\(error)", nil)
        }
        let since = failingSince ?? now
        status.update {
            $0.errors[kind, default: 0] += 1
            $0.connected = false
            $0.phase = .failing(error: text, hint: hint, since: since, attempts: failures, retryAt: now.addingTimeInterval(seconds))
        }
        let fields: KeyValuePairs<String, String> = ["adapter": context.id, "error": text, "kind": kind, "attempt": "\(failures)",
                                                     "retry_in": String(format: "%.1fs", seconds), "hint": hint ?? ""]
        switch error {
        case IMAPError.loginDenied, IMAPError.tls, IMAPError.unsupported, IMAPError.configuration:
            logger.error("imap adapter failing; will retry", fields)
        default:
            logger.warning("imap adapter failing; will retry", fields)
        }
        _ = sleep(delay)
    }

    // MARK: Connecting

    private func loadCheckpoint() throws {
        let stored = try store.checkpoint(adapterID: context.id, key: settings.checkpointKey)
        if let stored {
            if let parsed = IMAPCheckpoint(stored: stored) {
                checkpoint = parsed
            } else {
                logger.error("unreadable checkpoint; reading the mailbox from the start (stored mail is recognized by its Message-ID)",
                             ["adapter": context.id, "checkpoint": stored])
            }
        }
        checkpointLoaded = true
        status.update { $0.checkpoint = checkpoint }
    }

    private func connectedSession() throws -> IMAPSession {
        if let session { return session }
        status.update { $0.phase = .connecting }
        let transport = try connect?() ?? curlTransport()
        let session = IMAPSession(transport: transport, timeout: settings.timeout,
                                  maxLiteralBytes: settings.limits.maxMessageBytes + (1 << 20))
        self.session = session
        try session.refreshCapabilities()
        if case .moveTo(let folder) = settings.postAction {
            guard session.has("MOVE") || session.has("UIDPLUS") else {
                throw IMAPError.unsupported("MOVE or UIDPLUS (needed by post_action move-to)")
            }
            var found = false
            try session.execute("LIST \"\" \(IMAPCommand.mailbox(folder))") { response in
                if case .other("LIST", _) = response { found = true }
            }
            guard found else {
                throw IMAPError.configuration("move_folder \(IMAPCommand.quoted(folder)) does not exist on the server (create it, or correct move_folder)")
            }
        }
        let mailbox = try session.open(settings.mailbox, readOnly: settings.postAction == .leave)
        try reconcile(uidValidity: mailbox.uidValidity)
        let usesIdle = settings.idle && session.has("IDLE")
        status.update {
            $0.connected = true
            $0.usesIdle = usesIdle
            $0.checkpoint = checkpoint
        }
        logger.info("imap connected", ["adapter": context.id, "mailbox": settings.mailbox, "messages": "\(mailbox.exists)",
                                       "uidvalidity": "\(mailbox.uidValidity)", "checkpoint_uid": "\(checkpoint?.lastUID ?? 0)",
                                       "idle": usesIdle ? "yes" : "no"])
        return session
    }

    /// Connects, secures and logs in through libcurl (CONNECT_ONLY).
    private func curlTransport() throws -> IMAPCurlTransport {
        let options = CurlConnection.Options(
            url: settings.serverURL, credentials: try credentials(), tls: settings.tls,
            requireTLS: settings.security == .startTLS, connectTimeout: min(settings.timeout, .seconds(30)),
            loginTimeout: settings.timeout, protocols: "imap,imaps")
        do {
            return IMAPCurlTransport(connection: try CurlConnection(options), wake: wake)
        } catch {
            throw IMAPError(error)
        }
    }

    private func credentials() throws -> CurlConnection.Credentials {
        switch settings.authentication {
        case .password(let reference, let mechanism):
            do {
                let secret = try reference.resolve(environment: context.environment)
                return CurlConnection.Credentials(username: settings.username, password: secret.string, mechanism: mechanism)
            } catch {
                throw IMAPError.configuration("password: \(error.description)")
            }
        case .xoauth2(let file):
            guard let bytes = SecretReference.readFile(file) else {
                throw IMAPError.configuration("xoauth2_token_file \(file) cannot be read")
            }
            let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw IMAPError.configuration("xoauth2_token_file \(file) is empty") }
            return CurlConnection.Credentials(username: settings.username, bearerToken: token, mechanism: "XOAUTH2")
        }
    }

    /// A changed UIDVALIDITY means the server renumbered the mailbox: start from UID 0 of the
    /// new numbering (recorded at once); Message-ID dedupe keeps stored mail from coming twice.
    private func reconcile(uidValidity: UInt32) throws {
        if let current = checkpoint, current.uidValidity == uidValidity { return }
        let fresh = IMAPCheckpoint(uidValidity: uidValidity, lastUID: 0)
        if let old = checkpoint {
            logger.warning("UIDVALIDITY changed: the server renumbered the mailbox; reading it again from the start (mail already stored is recognized by its Message-ID and not stored twice)",
                           ["adapter": context.id, "mailbox": settings.mailbox, "old": "\(old.uidValidity)", "new": "\(uidValidity)"])
            status.update { $0.uidValidityChanges += 1 }
        }
        try commitCheckpoint(fresh)
    }

    private func disconnect(graceful: Bool) {
        guard let session else { return }
        if graceful {
            session.timeout = .seconds(2)
            session.logout()
        }
        self.session = nil
        status.update { $0.connected = false }
    }

    // MARK: Fetching

    private func drain(_ session: IMAPSession) throws {
        while true {
            _ = session.takeNewMailSignal()
            guard let current = checkpoint else { return }
            let listing = try session.listing(after: current.lastUID)
            guard !listing.isEmpty else {
                status.update { $0.phase = .idle }
                return
            }
            let batches = plan(listing)
            var done = 0
            status.update { $0.phase = .fetching(done: 0, total: listing.count) }
            for batch in batches {
                try waitForBackpressure()
                try process(batch, session: session)
                done += batch.count
                let progress = done
                status.update { $0.phase = .fetching(done: progress, total: listing.count) }
                if isStopping { throw IMAPError.interrupted }
            }
        }
    }

    /// Consecutive runs of at most `batchSize` mails and `batchBytes` bytes (a larger mail alone).
    /// Mails over the size limit count as small: only their header is fetched.
    func plan(_ listing: [IMAPSession.Listing]) -> [[IMAPSession.Listing]] {
        var batches: [[IMAPSession.Listing]] = []
        var current: [IMAPSession.Listing] = []
        var bytes = 0
        for item in listing {
            let size = item.size > settings.limits.maxMessageBytes ? 0 : item.size
            if !current.isEmpty && (current.count >= settings.batchSize || bytes + size > settings.batchBytes) {
                batches.append(current)
                current = []
                bytes = 0
            }
            current.append(item)
            bytes += size
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    private struct Quarantine {
        var uid: UInt32
        var code: String
        var message: String
        var raw: [UInt8]
    }

    private func process(_ batch: [IMAPSession.Listing], session: IMAPSession) throws {
        guard let current = checkpoint else { return }
        let validity = current.uidValidity
        let limit = settings.limits.maxMessageBytes
        let oversized = batch.filter { $0.size > limit }
        let wanted = IMAPSequenceSet(batch.filter { $0.size <= limit }.map(\.uid))

        var raws: [UInt32: [UInt8]] = [:]
        var serverRefusal: String?
        do {
            try session.fetch(wanted, items: "(UID BODY.PEEK[])") { attributes in
                if attributes.bodySection == "", let uid = attributes.uid, let body = attributes.body { raws[uid] = body }
            }
        } catch {
            // What arrived before a NO is kept; the rest is looked at below.
            guard case .commandFailed(let command, let status, let text) = error else { throw error }
            serverRefusal = "\(command) answered \(status.rawValue): \(text)"
        }
        var headers: [UInt32: [UInt8]] = [:]
        if !oversized.isEmpty {
            try session.fetch(IMAPSequenceSet(oversized.map(\.uid)), items: "(UID BODY.PEEK[HEADER])") { attributes in
                if attributes.bodySection == "HEADER", let uid = attributes.uid { headers[uid] = attributes.body ?? [] }
            }
        }
        let unfetchable = try recoverMissing(batch, raws: &raws, headers: headers, refusal: serverRefusal, session: session)

        var messages: [InboundMessage] = []
        var messageRaws: [(uid: UInt32, raw: [UInt8])] = []
        var quarantines: [Quarantine] = []
        var fetchedBytes = 0
        for item in batch {
            if let raw = raws[item.uid] {
                fetchedBytes += raw.count
                switch build(raw, uid: item.uid, uidValidity: validity) {
                case .success(let message):
                    messages.append(message)
                    messageRaws.append((item.uid, raw))
                case .failure(let error):
                    quarantines.append(Quarantine(uid: item.uid, code: "mime.\(error.code.rawValue)",
                                                  message: "imap uid \(validity):\(item.uid): \(error.description)", raw: raw))
                }
            } else if let header = headers[item.uid] {
                fetchedBytes += header.count
                quarantines.append(Quarantine(
                    uid: item.uid, code: "imap.message_too_large",
                    message: "imap uid \(validity):\(item.uid): the mail has \(item.size) bytes, more than mime.max_message_bytes (\(limit)); only its header is kept here (the mail stays on the server)",
                    raw: header))
            }
        }

        for (uid, failure) in unfetchable.sorted(by: { $0.key < $1.key }) {
            quarantines.append(Quarantine(uid: uid, code: "imap.fetch_failed",
                                          message: "imap uid \(validity):\(uid): the server would not send this mail (\(failure.reason)); skipped after \(Self.fetchAttempts) attempts, it stays on the server",
                                          raw: failure.header))
        }

        var stored = 0
        var duplicates = 0
        if !messages.isEmpty {
            let results = ingestAndWait(messages)
            for (k, result) in results.enumerated() {
                switch result {
                case .success(let outcome):
                    if outcome.duplicate { duplicates += 1 } else { stored += 1 }
                case .failure(let error) where !error.isRetryable:
                    // This mail will never be stored as it is: keep it in quarantine, go on.
                    quarantines.append(Quarantine(uid: messageRaws[k].uid, code: "store.\(error.code.rawValue)",
                                                  message: "imap uid \(validity):\(messageRaws[k].uid): \(error.description)",
                                                  raw: messageRaws[k].raw))
                case .failure(let error):
                    throw error
                }
            }
        }
        let quarantined = try quarantineAndWait(quarantines)

        let handled = IMAPSequenceSet(batch.map(\.uid).filter { raws[$0] != nil || (headers[$0] != nil && unfetchable[$0] == nil) })
        try applyPostAction(handled, session: session)

        let next = IMAPCheckpoint(uidValidity: validity, lastUID: batch.last!.uid)
        try commitCheckpoint(next)
        let now = context.now()
        status.update {
            $0.stored += stored
            $0.duplicates += duplicates
            $0.quarantined += quarantined
            $0.fetchedBytes += fetchedBytes
            if stored > 0 { $0.lastMailAt = now }
        }
        if !quarantines.isEmpty {
            for item in quarantines {
                logger.warning("mail quarantined", ["adapter": context.id, "uid": "\(validity):\(item.uid)", "code": item.code])
            }
        }
    }

    /// How often a mail the server refuses to send is tried (in separate rounds) before it is
    /// quarantined and skipped, so that one broken mail on the server never blocks the mailbox.
    static let fetchAttempts = 3

    /// UIDs of the batch the server did not send: gone (expunged meanwhile: skipped), or there
    /// and refused. Refused ones are fetched one by one; one that still fails is retried in later
    /// rounds (the batch throws) and after `fetchAttempts` rounds given up: answered with the
    /// reason, to be quarantined (with its header when the server sends that).
    private func recoverMissing(_ batch: [IMAPSession.Listing], raws: inout [UInt32: [UInt8]], headers: [UInt32: [UInt8]],
                                refusal: String?, session: IMAPSession) throws -> [UInt32: (reason: String, header: [UInt8])] {
        let missing = batch.map(\.uid).filter { raws[$0] == nil && headers[$0] == nil }
        guard !missing.isEmpty else { return [:] }
        var stillThere: [UInt32] = []
        try session.fetch(IMAPSequenceSet(missing), items: "(UID)") { attributes in
            if let uid = attributes.uid { stillThere.append(uid) }
        }
        let gone = Set(missing).subtracting(stillThere)
        if !gone.isEmpty {
            logger.info("mail expunged before it could be fetched", ["adapter": context.id, "uids": "\(IMAPSequenceSet(gone))"])
        }
        var failing: [UInt32: String] = [:]
        for uid in stillThere.sorted() {
            do {
                try session.fetch(IMAPSequenceSet([uid]), items: "(UID BODY.PEEK[])") { attributes in
                    if attributes.bodySection == "", let got = attributes.uid, got == uid, let body = attributes.body { raws[uid] = body }
                }
                if raws[uid] == nil { failing[uid] = refusal ?? "no body in the answer" }
            } catch {
                guard case .commandFailed(let command, let status, let text) = error else { throw error }
                failing[uid] = "\(command) answered \(status.rawValue): \(text)"
            }
        }
        guard !failing.isEmpty else { return [:] }
        for uid in failing.keys { fetchFailures[uid, default: 0] += 1 }
        let givenUp = failing.filter { fetchFailures[$0.key, default: 0] >= Self.fetchAttempts }
        guard givenUp.count == failing.count else {
            throw IMAPError.commandFailed(command: "UID FETCH", status: .no,
                                          text: "the server did not send UIDs \(IMAPSequenceSet(failing.keys)) although they exist: \(failing.values.first ?? "")")
        }
        var result: [UInt32: (reason: String, header: [UInt8])] = [:]
        for (uid, reason) in givenUp {
            fetchFailures[uid] = nil
            var header: [UInt8] = []
            try? session.fetch(IMAPSequenceSet([uid]), items: "(UID BODY.PEEK[HEADER])") { attributes in
                if attributes.bodySection == "HEADER", let body = attributes.body { header = body }
            }
            result[uid] = (reason, header.isEmpty ? Array("(the server sent neither this mail nor its header)".utf8) : header)
        }
        logger.error("the server refuses to send mail; quarantined and skipped", ["adapter": context.id, "uids": "\(IMAPSequenceSet(givenUp.keys))"])
        return result
    }

    private func build(_ raw: [UInt8], uid: UInt32, uidValidity: UInt32) -> Result<InboundMessage, MailParseError> {
        do throws(MailParseError) {
            let mail = try MailParser.parse(raw, limits: settings.limits)
            let externalID = EmailAdapterMessageKey.externalID(for: mail, raw: raw)
            var message = try MailThreading.inboundMessage(from: mail, adapterID: context.id, externalID: externalID, raw: raw,
                                                           attachmentHash: EmailAdapterMessageKey.sha256Hex)
            message.metadata["imap_uid"] = "\(uidValidity):\(uid)"
            message.metadata["imap_mailbox"] = settings.mailbox
            return .success(message)
        } catch {
            return .failure(error)
        }
    }

    private func applyPostAction(_ uids: IMAPSequenceSet, session: IMAPSession) throws {
        guard !uids.isEmpty else { return }
        do {
            switch settings.postAction {
            case .leave: return
            case .flagSeen: try session.addFlags(uids, "\\Seen")
            case .moveTo(let folder): try session.move(uids, to: folder)
            }
        } catch IMAPError.commandFailed(let command, let answer, let text) {
            let description = "\(command) answered \(answer.rawValue): \(text)"
            logger.error("post-action refused by the server; the mail is stored and stays where it is",
                         ["adapter": context.id, "post_action": settings.postAction.description, "uids": "\(uids)", "error": description])
            status.update {
                $0.postActionFailures += 1
                $0.lastPostActionError = description
            }
        }
    }

    // MARK: The store

    private func ingestAndWait(_ messages: [InboundMessage]) -> [Result<IngestOutcome, StoreError>] {
        let box = Completion<[Result<IngestOutcome, StoreError>]>()
        store.ingest(messages) { box.finish($0) }
        return box.wait()
    }

    /// Quarantines each item after commit, unless the same raw bytes from this adapter are
    /// already among the newest quarantined items (the batch was being retried after a crash
    /// between the quarantine and the checkpoint). Answers how many were newly quarantined.
    private func quarantineAndWait(_ items: [Quarantine]) throws -> Int {
        guard !items.isEmpty else { return 0 }
        let recent = (try? store.quarantined(limit: 200))?.filter { $0.adapterID == context.id } ?? []
        var added = 0
        for item in items where !recent.contains(where: { $0.raw == item.raw }) {
            let box = Completion<Result<String, StoreError>>()
            store.quarantine(adapterID: context.id, errorCode: item.code, errorMessage: item.message, raw: item.raw) { box.finish($0) }
            _ = try box.wait().get()
            added += 1
        }
        return added
    }

    private func commitCheckpoint(_ next: IMAPCheckpoint) throws {
        let box = Completion<Result<Void, StoreError>>()
        store.setCheckpoint(adapterID: context.id, key: settings.checkpointKey, value: next.stored) { box.finish($0) }
        try box.wait().get()
        checkpoint = next
        status.update { $0.checkpoint = next }
    }

    private func waitForBackpressure() throws {
        var paused = false
        while true {
            let pending = store.pendingCount
            guard pending > settings.maxPending else { break }
            if !paused {
                paused = true
                status.update { $0.phase = .paused(pending: pending) }
            }
            if sleep(.milliseconds(20)) { throw IMAPError.interrupted }
        }
    }

    // MARK: Waiting

    private func waitForMail(_ session: IMAPSession) throws {
        if settings.idle && session.has("IDLE") {
            status.update { $0.phase = .idle }
            _ = try session.idle(for: settings.idleTimeout)
            return
        }
        let until = Date().addingTimeInterval(Double(settings.interval.components.seconds))
        status.update { $0.phase = .waiting(until: until) }
        if settings.interval > .seconds(600) {
            disconnect(graceful: true)  // servers drop idle sessions after ~30 minutes anyway
        }
        if sleep(settings.interval) { throw IMAPError.interrupted }
    }

    /// Whether `stop()` has been called (the wake pipe is readable).
    var isStopping: Bool {
        var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, 0) > 0
    }

    /// Sleeps for `duration` unless woken; answers true when woken (stopping).
    private func sleep(_ duration: Duration) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: duration)
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let milliseconds = Int32(min(milliseconds(remaining) + 1, 3_600_000))
            if poll(&fds, 1, milliseconds) > 0 { return true }
        }
    }
}

private func milliseconds(_ duration: Duration) -> Int {
    let (seconds, attoseconds) = duration.components
    return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
}

/// A store completion handed back to the poll thread.
private final class Completion<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ result: Value) {
        value.withLock { $0 = result }
        done.signal()
    }

    func wait() -> Value {
        done.wait()
        return value.withLock { $0 }!
    }
}
