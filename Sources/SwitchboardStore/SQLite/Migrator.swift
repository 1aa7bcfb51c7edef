import SwitchboardCore

/// One named step of the schema's history. Steps are never edited once released: a change to the
/// schema is a new step appended to the list.
struct Migration: Sendable {
    let name: String
    let apply: @Sendable (Database) throws(StoreError) -> Void
}

/// Applies migrations in order and records how many have run in `PRAGMA user_version`, so that
/// version N means "steps 1…N are applied". A database whose version is higher than the steps this
/// build knows was written by a newer Switchboard and is refused rather than misread.
struct Migrator {
    let migrations: [Migration]

    var latestVersion: Int { migrations.count }

    /// Brings the database to `latestVersion` in one IMMEDIATE transaction (all pending steps or
    /// none). Returns the version found and the version now in place.
    @discardableResult
    func migrate(_ db: Database, logger: Logger) throws(StoreError) -> (from: Int, to: Int) {
        let found = Int(try db.integerPragma("user_version"))
        try refuseIfNewer(found, path: db.path)
        if found == latestVersion { return (found, found) }

        return try db.transaction("migrate schema", immediate: true) { () throws(StoreError) -> (from: Int, to: Int) in
            // Read again under the write lock: another process may have migrated meanwhile.
            let current = Int(try db.integerPragma("user_version"))
            try refuseIfNewer(current, path: db.path)
            for index in current..<latestVersion {
                let step = migrations[index]
                do throws(StoreError) {
                    try step.apply(db)
                } catch {
                    var failure = error
                    failure.purpose = "migration \(index + 1) (\(step.name)): \(error.purpose)"
                    throw failure
                }
                logger.info("applied store migration", ["version": String(index + 1), "name": step.name])
            }
            try db.execute("PRAGMA user_version = \(latestVersion)", purpose: "record schema version \(latestVersion)")
            return (current, latestVersion)
        }
    }

    private func refuseIfNewer(_ version: Int, path: String) throws(StoreError) {
        guard version > latestVersion else { return }
        throw StoreError(code: .databaseTooNew, purpose: "open database \(path)",
                         message: "the database has schema version \(version) but this build knows versions up to \(latestVersion)",
                         hint: "it was written by a newer Switchboard: run that version, or restore a backup made by this one")
    }
}
