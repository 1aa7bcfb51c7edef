import CSQLite

/// A prepared statement, reused across executions: bind, step, read columns, reset.
/// Finalized in `deinit`. Carries the purpose of its SQL so that an error says what failed
/// ("insert message") rather than only SQLite's words.
///
/// Must not outlive its `Database`'s use (it holds the raw connection for error messages;
/// `sqlite3_close_v2` keeps the connection alive until the statement is finalized).
final class Statement {
    let handle: OpaquePointer
    let purpose: String
    private let connection: OpaquePointer

    init(database: Database, sql: String, purpose: String) throws(StoreError) {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw database.lastError(rc, purpose: "prepare: \(purpose)")
        }
        self.handle = statement
        self.purpose = purpose
        self.connection = database.handle
    }

    deinit { sqlite3_finalize(handle) }

    private func check(_ rc: Int32, _ what: @autoclosure () -> String) throws(StoreError) {
        if rc != SQLITE_OK {
            throw StoreError.sqlite(rc, message: String(cString: sqlite3_errmsg(connection)), purpose: "\(purpose): \(what())")
        }
    }

    // MARK: Binding (indexes start at 1, as in SQLite)

    func bind(_ value: String?, at index: Int32) throws(StoreError) {
        guard let value else { return try bindNull(at: index) }
        let rc = value.withCString { pointer in
            sb_sqlite3_bind_text_transient(handle, index, pointer, Int32(value.utf8.count))
        }
        try check(rc, "bind text parameter \(index)")
    }

    func bind(_ value: Int64?, at index: Int32) throws(StoreError) {
        guard let value else { return try bindNull(at: index) }
        try check(sqlite3_bind_int64(handle, index, value), "bind integer parameter \(index)")
    }

    func bind(_ value: Int?, at index: Int32) throws(StoreError) {
        try bind(value.map(Int64.init), at: index)
    }

    /// Binds bytes as a BLOB; an empty array is an empty BLOB, not NULL.
    func bind(_ bytes: [UInt8], at index: Int32) throws(StoreError) {
        let rc = bytes.withUnsafeBytes { buffer -> Int32 in
            if buffer.count == 0 { return sqlite3_bind_zeroblob(handle, index, 0) }
            return sb_sqlite3_bind_blob_transient(handle, index, buffer.baseAddress, Int32(buffer.count))
        }
        try check(rc, "bind blob parameter \(index)")
    }

    func bind(_ value: Double?, at index: Int32) throws(StoreError) {
        guard let value else { return try bindNull(at: index) }
        try check(sqlite3_bind_double(handle, index, value), "bind real parameter \(index)")
    }

    /// Binds UTF-8 bytes as TEXT (JSON columns written with JSONWriter, no String round trip).
    func bind(_ bytes: [UInt8], at index: Int32, asText: Bool) throws(StoreError) {
        guard asText else { return try bind(bytes, at: index) }
        let rc = bytes.withUnsafeBytes { buffer -> Int32 in
            let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer<CChar>(bitPattern: 1)
            return sb_sqlite3_bind_text_transient(handle, index, base, Int32(buffer.count))
        }
        try check(rc, "bind text parameter \(index)")
    }

    func bindNull(at index: Int32) throws(StoreError) {
        try check(sqlite3_bind_null(handle, index), "bind NULL parameter \(index)")
    }

    // MARK: Stepping

    /// Advances to the next row: true when a row is available, false when done.
    /// On an error the statement is reset so it can be reused.
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_reset(handle)
            throw StoreError.sqlite(rc, message: message, purpose: purpose)
        }
    }

    /// Makes the statement ready to run again. Bindings are kept until rebound.
    func reset() { sqlite3_reset(handle) }

    /// Runs a statement that returns no rows (INSERT, UPDATE), then resets it.
    func run() throws(StoreError) {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Runs a query and reads its first row, if any, then resets.
    func queryOne<T>(_ read: (Statement) throws(StoreError) -> T) throws(StoreError) -> T? {
        defer { sqlite3_reset(handle) }
        guard try step() else { return nil }
        return try read(self)
    }

    /// Runs a query and reads every row, then resets.
    func queryAll<T>(_ read: (Statement) throws(StoreError) -> T) throws(StoreError) -> [T] {
        defer { sqlite3_reset(handle) }
        var rows: [T] = []
        while try step() { rows.append(try read(self)) }
        return rows
    }

    // MARK: Columns (indexes start at 0, as in SQLite)

    func isNull(at index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    func string(at index: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func int64(at index: Int32) -> Int64? {
        isNull(at: index) ? nil : sqlite3_column_int64(handle, index)
    }

    func double(at index: Int32) -> Double? {
        isNull(at: index) ? nil : sqlite3_column_double(handle, index)
    }

    func bool(at index: Int32) -> Bool { sqlite3_column_int64(handle, index) != 0 }

    /// The column's bytes; NULL and an empty BLOB both read as [].
    func bytes(at index: Int32) -> [UInt8] {
        guard let blob = sqlite3_column_blob(handle, index) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, index))
        return Array(UnsafeRawBufferPointer(start: blob, count: count))
    }
}
