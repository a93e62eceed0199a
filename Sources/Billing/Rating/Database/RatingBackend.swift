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
}

/// Where the single pass gets its lookups from; nil when it cannot (the file goes in two passes).
protocol LookupSource: AnyObject {
    func get() -> RatingLookups?
}
