import RatingRules

/// The database as a run's rating uses it, besides its stores: the file's
/// transaction, a dry run's snapshot, the COPY of rated calls. Narrow, so
/// that Billing's orchestration runs against an in-memory implementation in
/// unit tests (the role NIOEmbedded plays for a channel); the PostgreSQL one
/// is `PostgresRatingDatabase`.
protocol RatingDatabase: AnyObject {
    /// Whether the connection is up: an error on one that went is not the file's failure.
    var isConnected: Bool { get }
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T
    /// A dry run's hold on the database (`RunScope`): one read-only snapshot,
    /// begun before the catalog is read and ended (rolled back) with the run.
    func beginReadOnlySnapshot() throws
    func endReadOnlySnapshot()
    /// That snapshot, named for another session to take (`pg_export_snapshot`): a dry run's lookups beside
    /// the reading (`SnapshotLookups`) see the same stored calls. Nil when it cannot be named.
    func exportSnapshot() throws -> String?
    /// Whether that snapshot holds no stored call at all (the uuid registry is empty): then a dry run has
    /// nothing to look up, and no second connection to open for it. False when not known.
    func snapshotHoldsNoCalls() throws -> Bool
    /// Lets `stop` cancel the statement in flight when the run is asked to stop.
    func cancelOnStop(_ stop: StopRequest)
    /// The `rate:claimed` fail point: a statement that keeps the session busy for a minute.
    func stallForFailPoint()
}

extension RatingDatabase {
    func snapshotHoldsNoCalls() throws -> Bool { false }
}

/// Where `CopyPipeline` sends a file's rated calls: COPY into cdrs, or into
/// a month's fresh table (the bulk backfill path). The rows are the rated
/// calls themselves, before encoding: what `CDRRowEncoder` makes of a
/// `RatedCall` is the PostgreSQL implementation's business.
protocol CallCopySink: AnyObject {
    /// COPYs into `table` each call `rows` hands to `send`, in that order; an
    /// error of `rows` aborts the COPY, and nothing of it is stored.
    func copyCalls(into table: String, fileName: String, book: TariffBook, _ rows: (_ send: (RatedCall) throws -> Void) throws -> Void) throws
}
