/// Where a mailbox has got to: its UIDVALIDITY and the highest UID whose mail is committed
/// (and post-actioned). Stored as `"<uidvalidity>:<uid>"` under the key `imap:<mailbox>`.
/// A server with another UIDVALIDITY has renumbered the mailbox: the adapter starts again from
/// UID 0 and the Message-ID dedupe key keeps already-stored mail from being stored twice.
public struct IMAPCheckpoint: Sendable, Hashable, CustomStringConvertible {
    public var uidValidity: UInt32
    public var lastUID: UInt32

    public init(uidValidity: UInt32, lastUID: UInt32) {
        self.uidValidity = uidValidity
        self.lastUID = lastUID
    }

    public init?(stored: String) {
        let parts = stored.split(separator: ":")
        guard parts.count == 2, let validity = UInt32(parts[0]), let uid = UInt32(parts[1]) else { return nil }
        self.init(uidValidity: validity, lastUID: uid)
    }

    public var stored: String { "\(uidValidity):\(lastUID)" }
    public var description: String { "uidvalidity \(uidValidity), uid \(lastUID)" }
}
