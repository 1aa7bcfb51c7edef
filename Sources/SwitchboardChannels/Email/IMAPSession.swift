/// Switchboard's own small IMAP client (RFC 3501 plus UIDPLUS, MOVE, IDLE) over a logged-in
/// transport. It speaks only the commands the adapter needs, waits for each tagged answer, and
/// keeps the mailbox facts the server volunteers on the way (EXISTS, capabilities, BYE).
///
/// Why not libcurl's IMAP layer: on Debian's libcurl 7.88.1 it truncates untagged lines over
/// 64 KiB without an error (UIDs lost on a large mailbox), sends literals of custom FETCH
/// commands to the header callback under a 300 KiB cap (batches of ~10 mails at most), marks
/// mail \Seen when fetched by URL, and has no IDLE. libcurl still does the transport: TCP,
/// STARTTLS/TLS, the certificate check and the login (see `CurlConnection`).
///
/// Blocking, one thread at a time (the adapter's poll thread).
public final class IMAPSession {
    public struct Mailbox: Sendable, Hashable {
        public var uidValidity: UInt32
        public var uidNext: UInt32?
        public var exists: UInt32
    }

    /// One message as listed before fetching: its UID and RFC822.SIZE.
    public struct Listing: Sendable, Hashable {
        public var uid: UInt32
        public var size: Int
    }

    let transport: any IMAPTransport
    var parser: IMAPResponseParser
    private var nextTag = 1
    /// How long the server may stay silent while a command runs.
    public var timeout: Duration
    public private(set) var capabilities: Set<String> = []
    public private(set) var exists: UInt32 = 0
    /// Set when the server reports more messages (EXISTS grew); cleared by `takeNewMailSignal()`.
    private var newMailSignal = false
    private var byeText: String?

    public init(transport: any IMAPTransport, timeout: Duration = .seconds(60), maxLiteralBytes: Int = 96 << 20) {
        self.transport = transport
        self.timeout = timeout
        parser = IMAPResponseParser(maxLineBytes: 32 << 20, maxLiteralBytes: maxLiteralBytes)
    }

    public func has(_ capability: String) -> Bool { capabilities.contains(capability.uppercased()) }

    /// True when EXISTS grew since the last call.
    public func takeNewMailSignal() -> Bool {
        defer { newMailSignal = false }
        return newMailSignal
    }

    // MARK: Commands

    public func refreshCapabilities() throws(IMAPError) {
        try execute("CAPABILITY")
    }

    /// SELECT (read-write) or EXAMINE (read-only: nothing can change, not even \Recent).
    public func open(_ mailbox: String, readOnly: Bool) throws(IMAPError) -> Mailbox {
        var uidValidity: UInt32?
        var uidNext: UInt32?
        exists = 0
        try execute("\(readOnly ? "EXAMINE" : "SELECT") \(IMAPCommand.mailbox(mailbox))") { response in
            if case .condition(.ok, let code?, _) = response {
                if code.name == "UIDVALIDITY" { uidValidity = code.number }
                if code.name == "UIDNEXT" { uidNext = code.number }
            }
        }
        newMailSignal = false
        guard let uidValidity else {
            throw .protocolViolation(IMAPProtocolError("the server did not send UIDVALIDITY for \(mailbox)"))
        }
        return Mailbox(uidValidity: uidValidity, uidNext: uidNext, exists: exists)
    }

    /// Every message with a UID above `uid`, with its size, in UID order: one
    /// `UID FETCH n:* (UID RFC822.SIZE)`. (`n:*` also names the last message when none is above
    /// `uid`; it is filtered out.)
    public func listing(after uid: UInt32) throws(IMAPError) -> [Listing] {
        guard uid < UInt32.max else { return [] }
        if exists == 0 { try noop() }  // picks up EXISTS for mail that arrived since SELECT
        guard exists > 0 else { return [] }
        var result: [Listing] = []
        try execute("UID FETCH \(uid + 1):* (UID RFC822.SIZE)") { response in
            if case .fetch(_, let attributes) = response, let found = attributes.uid, found > uid {
                result.append(Listing(uid: found, size: attributes.size ?? 0))
            }
        }
        result.sort { $0.uid < $1.uid }
        return result
    }

    /// `UID FETCH set items`, handing each FETCH answer that carries a UID to `each`.
    public func fetch(_ uids: IMAPSequenceSet, items: String, _ each: (IMAPFetchAttributes) -> Void) throws(IMAPError) {
        guard !uids.isEmpty else { return }
        try execute("UID FETCH \(uids) \(items)") { response in
            if case .fetch(_, let attributes) = response, attributes.uid != nil { each(attributes) }
        }
    }

    public func addFlags(_ uids: IMAPSequenceSet, _ flags: String) throws(IMAPError) {
        guard !uids.isEmpty else { return }
        try execute("UID STORE \(uids) +FLAGS.SILENT (\(flags))")
    }

    /// Moves with MOVE (RFC 6851) when offered, else COPY + \Deleted + UID EXPUNGE of exactly
    /// these UIDs (UIDPLUS), so no other deleted mail is expunged.
    public func move(_ uids: IMAPSequenceSet, to mailbox: String) throws(IMAPError) {
        guard !uids.isEmpty else { return }
        if has("MOVE") {
            try execute("UID MOVE \(uids) \(IMAPCommand.mailbox(mailbox))")
        } else if has("UIDPLUS") {
            try execute("UID COPY \(uids) \(IMAPCommand.mailbox(mailbox))")
            try execute("UID STORE \(uids) +FLAGS.SILENT (\\Deleted)")
            try execute("UID EXPUNGE \(uids)")
        } else {
            throw .unsupported("MOVE or UIDPLUS (needed by post_action move-to)")
        }
    }

    /// IDLE (RFC 2177) until the server reports new mail or `duration` passes. Answers whether
    /// new mail was reported.
    public func idle(for duration: Duration) throws(IMAPError) -> Bool {
        if takeNewMailSignal() { return true }
        let tag = makeTag()
        try transport.send(Array("\(tag) IDLE\r\n".utf8), timeout: timeout)
        // Wait for "+ idling".
        waitForContinuation: while true {
            switch try nextResponse(timeout: timeout)! {
            case .continuation: break waitForContinuation
            case .tagged(let got, let status, _, let text) where got == tag:
                throw .commandFailed(command: "IDLE", status: status, text: text)
            case let other: observe(other)
            }
        }
        let deadline = ContinuousClock.now.advanced(by: duration)
        while !newMailSignal {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            guard let response = try nextResponse(timeout: remaining, allowTimeout: true) else { break }
            observe(response)
        }
        try transport.send(Array("DONE\r\n".utf8), timeout: timeout)
        while true {
            switch try nextResponse(timeout: timeout)! {
            case .tagged(let got, let status, _, let text) where got == tag:
                guard status == .ok else { throw .commandFailed(command: "IDLE", status: status, text: text) }
                return takeNewMailSignal()
            case let other: observe(other)
            }
        }
    }

    public func noop() throws(IMAPError) {
        try execute("NOOP")
    }

    /// LOGOUT, ignoring failures (the connection is closed next anyway).
    public func logout() {
        _ = try? execute("LOGOUT")
    }

    // MARK: Machinery

    private func makeTag() -> String {
        defer { nextTag += 1 }
        return "S\(nextTag)"
    }

    /// Sends one command and reads until its tagged answer; other responses go to `handle`
    /// after the session noted what it tracks. NO and BAD throw `commandFailed`.
    @discardableResult
    func execute(_ command: String, _ handle: (IMAPResponse) -> Void = { _ in }) throws(IMAPError) -> (IMAPResponseCode?, String) {
        let tag = makeTag()
        try transport.send(Array("\(tag) \(command)\r\n".utf8), timeout: timeout)
        while true {
            let response = try nextResponse(timeout: timeout)!
            if case .tagged(let got, let status, let code, let text) = response {
                guard got == tag else {
                    throw .protocolViolation(IMAPProtocolError("an answer to unknown tag \(got)", excerpt: text))
                }
                guard status == .ok else {
                    let name = command.split(separator: " ").prefix(command.hasPrefix("UID ") ? 2 : 1).joined(separator: " ")
                    let codeText = code.map { "[\($0.name)\($0.argument.isEmpty ? "" : " " + $0.argument)] " } ?? ""
                    throw .commandFailed(command: name, status: status, text: codeText + text)
                }
                return (code, text)
            }
            observe(response)
            handle(response)
        }
    }

    /// The next response; nil only with `allowTimeout` when `timeout` passed in silence.
    private func nextResponse(timeout: Duration, allowTimeout: Bool = false) throws(IMAPError) -> IMAPResponse? {
        while true {
            do {
                if let response = try parser.next() { return response }
            } catch {
                throw .protocolViolation(error)
            }
            let got: Bool
            do {
                got = try transport.receive(timeout: timeout, into: &parser)
            } catch {
                if let byeText, case .connection = error { throw .serverClosed(byeText) }
                throw error
            }
            if !got {
                if allowTimeout { return nil }
                throw .connection("no answer from the server within \(timeout)")
            }
        }
    }

    private func observe(_ response: IMAPResponse) {
        switch response {
        case .exists(let count):
            if count > exists { newMailSignal = true }
            exists = count
        case .expunge:
            if exists > 0 { exists -= 1 }
        case .capability(let list):
            capabilities = Set(list)
        case .condition(.ok, let code?, _) where code.name == "CAPABILITY":
            capabilities = Set(code.argument.split(separator: " ").map { $0.uppercased() })
        case .condition(.bye, _, let text):
            byeText = text
        default:
            break
        }
    }
}
