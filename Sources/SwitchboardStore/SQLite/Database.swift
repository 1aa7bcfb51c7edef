import CSQLite

/// One SQLite connection. Not Sendable: a connection belongs to one thread at a time (the writer
/// thread, or a reader leased from the pool), so it is opened with `SQLITE_OPEN_NOMUTEX`.
/// Closed in `deinit` with `sqlite3_close_v2`, which waits for any statement still alive.
final class Database {
    enum Access { case readWrite, readOnly }

    let handle: OpaquePointer
    let path: String
    private var statementCache: [String: Statement] = [:]

    /// Process-wide SQLite settings, applied once before the first connection opens: every
    /// connection is used by one thread at a time (so SQLite's per-connection mutexes are
    /// redundant), and memory statistics (a global mutex per allocation) are not needed.
    private static let processSetup: Void = {
        _ = sb_sqlite3_config_multithread()
        _ = sb_sqlite3_config_memstatus(0)
        // Each WAL frame in one write instead of two (shim.h); on failure the default VFS stays.
        _ = sb_sqlite3_register_wal_coalescing_vfs()
    }()

    init(path: String, access: Access) throws(StoreError) {
        _ = Database.processSetup
        var connection: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= access == .readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &connection, flags, nil)
        guard rc == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(connection)
            throw StoreError.sqlite(rc, message: message, purpose: "open database \(path)")
        }
        self.handle = connection
        self.path = path
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// The error SQLite holds for this connection, labelled with what we were doing.
    func lastError(_ rc: Int32, purpose: String) -> StoreError {
        // Opened with SQLITE_OPEN_EXRESCODE, so `rc` is already the extended code.
        StoreError.sqlite(rc, message: String(cString: sqlite3_errmsg(handle)), purpose: purpose)
    }

    /// Runs one or more statements that return nothing (schema, pragmas, transaction control).
    func execute(_ sql: String, purpose: String) throws(StoreError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw StoreError.sqlite(sqlite3_extended_errcode(handle), message: message, purpose: purpose)
        }
    }

    func prepare(_ sql: String, purpose: String) throws(StoreError) -> Statement {
        try Statement(database: self, sql: sql, purpose: purpose)
    }

    /// A prepared statement kept for the life of the connection (reads that run again and again).
    func cachedStatement(_ sql: String, purpose: String) throws(StoreError) -> Statement {
        if let statement = statementCache[sql] { return statement }
        let statement = try prepare(sql, purpose: purpose)
        statementCache[sql] = statement
        return statement
    }

    /// Finalizes cached statements and closes the connection now rather than at `deinit`.
    func close() {
        statementCache.removeAll()
    }

    /// Reads a pragma that answers one integer (`user_version`, `page_size`).
    func integerPragma(_ name: String) throws(StoreError) -> Int64 {
        let statement = try prepare("PRAGMA \(name)", purpose: "read PRAGMA \(name)")
        guard try statement.step() else { return 0 }
        return statement.int64(at: 0) ?? 0
    }

    /// Sets a pragma and returns what SQLite answered (journal_mode answers the mode it chose).
    @discardableResult
    func setPragma(_ name: String, _ value: String) throws(StoreError) -> String? {
        let statement = try prepare("PRAGMA \(name) = \(value)", purpose: "set PRAGMA \(name)")
        guard try statement.step() else { return nil }
        return statement.string(at: 0)
    }

    /// Writes what the WAL shim still holds (see `sb_sqlite3_flush_wal` in CSQLite/shim.h): after
    /// each COMMIT, so that what COMMIT wrote is in the file, for readers and for an fsync.
    func flushHeldLog(purpose: String) throws(StoreError) {
        let rc = sb_sqlite3_flush_wal(handle)
        if rc != SQLITE_OK { throw StoreError.sqlite(rc, message: String(cString: sqlite3_errstr(rc)), purpose: purpose) }
    }

    /// The write-ahead log's path as SQLite names it (symbolic links in the database's path
    /// resolved), or nil for an in-memory database.
    var walPath: String? {
        guard let name = sqlite3_db_filename(handle, "main"), name.pointee != 0,
              let wal = sqlite3_filename_wal(name) else { return nil }
        return String(cString: wal)
    }

    /// Whether a transaction is open (SQLite rolls some failed transactions back on its own).
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last row inserted on this connection.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` inside BEGIN … COMMIT; rolls back if it throws. For reads that must see one
    /// snapshot and for migrations; the writer manages its own transactions.
    func transaction<T>(_ purpose: String, immediate: Bool = false,
                        _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN", purpose: "begin transaction: \(purpose)")
        do throws(StoreError) {
            let value = try body()
            try execute("COMMIT", purpose: "commit: \(purpose)")
            return value
        } catch {
            if isInTransaction { try? execute("ROLLBACK", purpose: "roll back: \(purpose)") }
            throw error
        }
    }
}
