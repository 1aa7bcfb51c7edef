import CSQLite

extension Database {
    /// The writer's connection: WAL (readers never block it, it never blocks readers), the
    /// configured `synchronous`, and the optional size cap. Foreign keys are declared in the
    /// schema but not enforced here: the writer is the only one that writes, and it creates every
    /// contact and conversation before the rows that refer to them in the same transaction;
    /// enforcing them cost two index probes per message on the hot path.
    /// `syncedElsewhere`: the log is fsynced by the store's `WALSyncer` after each COMMIT (with
    /// `synchronous=FULL`), so this connection runs NORMAL.
    static func openWriter(path: String, options: StoreOptions, syncedElsewhere: Bool = false) throws(StoreError) -> Database {
        let db = try Database(path: path, access: .readWrite)
        sqlite3_busy_timeout(db.handle, Int32(clamping: Int(options.busyTimeout * 1000)))
        // Only a new, empty database takes it (an existing one keeps the size it was made with).
        try db.execute("PRAGMA page_size = \(options.pageSize)", purpose: "set the page size of a new database")
        let mode = try db.setPragma("journal_mode", "WAL")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(code: .sqlite, purpose: "enable WAL on \(path)",
                             message: "SQLite kept journal_mode=\(mode ?? "unknown")",
                             hint: "the store needs a local filesystem that supports shared memory (not NFS)")
        }
        try db.execute("""
            PRAGMA synchronous = \(syncedElsewhere ? StoreOptions.Synchronous.normal.rawValue : options.synchronous.rawValue);
            PRAGMA foreign_keys = OFF;
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -32768;
            PRAGMA mmap_size = 268435456;
            PRAGMA journal_size_limit = \(options.logSizeLimit);
            """, purpose: "configure writer connection")
        if let maxBytes = options.maxDatabaseBytes {
            let pageSize = max(512, try db.integerPragma("page_size"))
            try db.setPragma("max_page_count", String(max(1, maxBytes / pageSize)))
        }
        return db
    }

    /// A read-only connection for the reader pool: it sees the last committed state and never
    /// takes the write lock.
    static func openReader(path: String, options: StoreOptions) throws(StoreError) -> Database {
        let db = try Database(path: path, access: .readOnly)
        sqlite3_busy_timeout(db.handle, Int32(clamping: Int(options.busyTimeout * 1000)))
        try db.execute("PRAGMA temp_store = MEMORY", purpose: "configure reader connection")
        return db
    }
}
