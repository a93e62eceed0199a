import Logging
import Postgres

/// Everything a rating run asks of the database, each behind its narrow
/// protocol: the transactions and COPY, the stores, the partitions, the
/// locks, the single pass's lookups and the catalog. `postgres` builds it
/// on the run's connection; unit tests build an in-memory one.
struct RatingBackend {
    let database: RatingDatabase
    let copy: CallCopySink
    let store: BillingStore
    let ledger: LedgerStore
    let partitions: CallPartitions
    let locks: LockService
    /// The single pass's lookups, on a handle of their own (the run's is in COPY meanwhile).
    let lookups: LookupSource
    /// The catalog and business zone, read once the run holds its lock or snapshot.
    let context: () throws -> RatingContext

    /// On `db`, the single pass's lookups on connections `connect` opens.
    static func postgres(_ db: Connection, connect: (() throws -> Connection)?, logger: Logger) -> RatingBackend {
        let database = PostgresRatingDatabase(db: db)
        return RatingBackend(database: database, copy: database, store: PostgresBillingStore(db: db),
                             ledger: PostgresLedgerStore(db: db), partitions: PostgresPartitions(db: db),
                             locks: PostgresLockService(db: db), lookups: LookupConnection(connect: connect, logger: logger),
                             context: { try CatalogLoader.context(db) })
    }
}

/// What the single pass's reading thread looks up: stored uuids, usage rows
/// and held calls as committed, and whether its months have partitions.
struct RatingLookups {
    let store: BillingStore
    let partitions: CallPartitions
    /// The handle's read-only transaction in the run's snapshot, for a dry run's lookups (`SnapshotLookups`).
    let snapshot: SnapshotTransaction
}

/// A lookup handle's read-only transaction in another session's snapshot
/// (`RatingDatabase.exportSnapshot`): a dry run looks its uuids up there,
/// beside the reading, and sees the stored calls the run sees.
protocol SnapshotTransaction: AnyObject {
    /// Begins it; false, with no transaction left open, when the snapshot cannot be taken (a server in recovery
    /// exports none): the lookups then stay on the reading's thread.
    func begin(snapshot: String) throws -> Bool
    /// Ends it (rolled back: it only read).
    func end() throws
    /// Whether the snapshot holds no stored call at all (the uuid registry is empty): then no lookup in it can find one.
    func holdsNoCalls() throws -> Bool
}

extension SnapshotTransaction {
    /// Not known: every uuid is looked up.
    func holdsNoCalls() throws -> Bool { false }
}

/// The PostgreSQL implementation: SET TRANSACTION SNAPSHOT on the lookup connection.
final class PostgresSnapshotTransaction: SnapshotTransaction {
    let db: Connection

    init(db: Connection) { self.db = db }

    func begin(snapshot: String) throws -> Bool {
        try db.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            try db.execute(script: "SET TRANSACTION SNAPSHOT '\(snapshot)'")
            return true
        } catch {
            // Left in an aborted transaction, every later file's lookups would fail with it.
            _ = try? db.execute(script: "ROLLBACK")
            return false
        }
    }

    func end() throws { try db.execute(script: "ROLLBACK") }

    func holdsNoCalls() throws -> Bool { try db.holdsNoStoredCalls() }
}

/// Where the single pass gets its lookups from; nil when it cannot (the file goes in two passes).
protocol LookupSource: AnyObject {
    func get() -> RatingLookups?
}
