import CSQLite

/// Why a store operation failed, in words an admin can act on: what the store was doing
/// (`purpose`), SQLite's own message and result code, and a hint.
///
/// Adapters use `isRetryable` to choose between "answer 503 / try again later" (disk full,
/// I/O error, store closing) and "this input will never be stored" (a constraint, an invalid
/// message): the latter should be quarantined, not retried forever.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// SQLite returned an error; `sqliteCode` holds its extended result code.
        case sqlite
        /// The database was written by a newer Switchboard whose schema this build does not know.
        case databaseTooNew
        /// The message cannot be stored as given (an empty adapter or external id, ...).
        case invalidMessage
        /// A stored row could not be read back (a JSON column that does not parse, an unknown channel).
        case corruptRow
        /// The store's directory could not be created.
        case filesystem
        /// The store is closed or closing; nothing was written.
        case closed
    }

    public var code: Code
    /// What the store was doing: "insert message", "open database /var/lib/switchboard/store.db".
    public var purpose: String
    /// SQLite's message (`sqlite3_errmsg`) or the store's own reason.
    public var message: String
    /// SQLite's extended result code when `code == .sqlite`.
    public var sqliteCode: Int32?
    /// What an admin can do about it, when there is something to say.
    public var hint: String?

    public init(code: Code, purpose: String, message: String, sqliteCode: Int32? = nil, hint: String? = nil) {
        self.code = code
        self.purpose = purpose
        self.message = message
        self.sqliteCode = sqliteCode
        self.hint = hint
    }

    public var description: String {
        var text = "store: \(purpose): \(message)"
        if let sqliteCode { text += " (SQLite \(sqliteCode))" }
        if let hint { text += "; hint: \(hint)" }
        return text
    }

    /// SQLite's primary result code (the low byte of the extended code).
    public var sqlitePrimaryCode: Int32? { sqliteCode.map { $0 & 0xFF } }

    /// Whether the same operation may succeed later without changing the input
    /// (disk full, I/O error, lock contention, store closing).
    public var isRetryable: Bool {
        switch code {
        case .closed, .filesystem: return true
        case .databaseTooNew, .invalidMessage, .corruptRow: return false
        case .sqlite:
            switch sqlitePrimaryCode ?? 0 {
            case SQLITE_CONSTRAINT, SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE: return false
            default: return true
            }
        }
    }

    /// Whether the failure belongs to one row (a constraint, a too-big value) rather than to the
    /// connection or the disk. Inside a batch such an error fails only that message.
    var isConfinedToRow: Bool {
        switch code {
        case .invalidMessage: return true
        case .sqlite:
            switch sqlitePrimaryCode ?? 0 {
            case SQLITE_CONSTRAINT, SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE: return true
            default: return false
            }
        default: return false
        }
    }

    static func sqlite(_ code: Int32, message: String, purpose: String) -> StoreError {
        StoreError(code: .sqlite, purpose: purpose, message: message, sqliteCode: code, hint: hint(forSQLiteCode: code))
    }

    /// A column of a stored row holds a value this build does not know (written by a newer one,
    /// or edited by hand).
    static func unknownValue(_ column: String, _ value: String?, reading what: String) -> StoreError {
        StoreError(code: .corruptRow, purpose: "read \(what)",
                   message: "\(column) holds '\(value ?? "NULL")', which this build does not know")
    }

    static let closed = StoreError(code: .closed, purpose: "accept write", message: "the store is closed",
                                   hint: "the daemon is shutting down; retry after it restarts")

    private static func hint(forSQLiteCode code: Int32) -> String? {
        switch code & 0xFF {
        case SQLITE_FULL:
            return "the disk or StoreOptions.maxDatabaseBytes is full: free space or raise the limit; nothing in this batch was acknowledged"
        case SQLITE_IOERR:
            return "the disk reported an I/O error: check the kernel log and the filesystem"
        case SQLITE_BUSY, SQLITE_LOCKED:
            return "another process holds the database lock: is a second switchboard using the same store path?"
        case SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN, SQLITE_AUTH:
            return "check that the store directory and its files exist and belong to the daemon's user"
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return "the database file is damaged or not a database: restore it from a backup"
        default:
            return nil
        }
    }
}
