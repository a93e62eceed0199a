import Postgres

/// What a file's attempt asks of the monthly partitions of cdrs
/// (`Partitions`): that its months have one, or that a backfill month is
/// loaded into a fresh table.
protocol CallPartitions {
    /// Before the file's transaction: its months' partitions made, or the month to bulk-load (`Partitions.prepare`).
    func prepare(months: Set<Int32>, bulk: Bool) throws -> String?
    /// The first of `months` with no partition, as YYYY-MM (`Partitions.firstMissing`).
    func firstMissing(months: Set<Int32>) throws -> String?
    /// In the file's transaction: whether this run still bulk-loads `month` (`Partitions.claimBulk`).
    func claimBulk(month: String) throws -> Bool
    /// In the file's transaction: `load` COPYs into the month's fresh table, which is then attached (`Partitions.bulkLoad`).
    func bulkLoad(month: String, step: (String) -> Void, load: (String) throws -> Void) throws
}

/// The PostgreSQL implementation: `Partitions` on one connection.
struct PostgresPartitions: CallPartitions {
    let db: Connection

    func prepare(months: Set<Int32>, bulk: Bool) throws -> String? { try Partitions.prepare(db, months: months, bulk: bulk) }
    func firstMissing(months: Set<Int32>) throws -> String? { try Partitions.firstMissing(db, months: months) }
    func claimBulk(month: String) throws -> Bool { try Partitions.claimBulk(db, month: month) }
    func bulkLoad(month: String, step: (String) -> Void, load: (String) throws -> Void) throws {
        try Partitions.bulkLoad(db, month: month, step: step, load: load)
    }
}
