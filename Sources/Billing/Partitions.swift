import Foundation
import Postgres
import RatingRules

/// The monthly partitions of `cdrs` (SPEC section 7): months of the business
/// zone, named cdrs_YYYY_MM, made by the SQL function `cdrs_ensure_month`
/// (one home for names and bounds): ahead of time by `partitions ensure`, by
/// `rate` for the months a file's calls fall in, never inside a file's
/// transaction (making a partition locks cdrs for a moment). A month can be
/// detached for archiving and attached back (by the owner of cdrs). The
/// functions that make months run as the owner of cdrs, so that a nightly
/// role that owns nothing makes them too.
public enum Partitions {
    public struct Month: Sendable {
        public let month: String
        public let table: String
        public let from: String
        public let to: String
        /// The planner's estimate (pg_class.reltuples), -1 before the first ANALYZE.
        public let rows: Int64
        public let archived: Bool
    }

    /// Before a file's transaction: the month to load the file into a fresh
    /// table (`bulkLoad`) when all its calls fall in one month that has no
    /// partition yet (a backfill) and `bulk` allows it; else nil, once the
    /// partitions of its months (year x 12 + month - 1) exist.
    static func prepare(_ db: Connection, months: Set<Int32>, bulk: Bool) throws -> String? {
        let names = months.sorted().map(name)
        if bulk, names.count == 1 {
            let table = try tableName(names[0])
            if try db.execute("SELECT to_regclass(\(table)) IS NULL").scalar(Bool.self) == true { return names[0] }
        }
        guard !names.isEmpty else { return nil }
        // Each month in its own statement, outside any file's transaction: making a partition locks cdrs for a moment.
        for name in names { try db.execute("SELECT cdrs_ensure_month(to_date(\(name), 'YYYY-MM'))") }
        return nil
    }

    /// The first of `months` (year x 12 + month - 1) that has no partition
    /// (none yet, or its table detached), as YYYY-MM; nil when all have.
    static func firstMissing(_ db: Connection, months: Set<Int32>) throws -> String? {
        let names = months.sorted().map(name)
        let tables = try names.map(tableName)
        let missing = try db.execute("""
            SELECT i FROM unnest(\(tables)::text[]) WITH ORDINALITY t(name, i)
            WHERE NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(name) AND inhparent = 'cdrs'::regclass)
            ORDER BY i LIMIT 1
            """).scalar(Int.self)
        return missing.map { names[$0 - 1] }
    }

    /// YYYY-MM of a month given as year x 12 + month - 1.
    static func name(_ month: Int32) -> String { String(format: "%04d-%02d", Int(month) / 12, Int(month) % 12 + 1) }

    /// In the file's transaction: whether `month` is still to be bulk-loaded
    /// by this run (another run loading it first makes this one wait, then
    /// find its partition there); if not, its partition is made.
    static func claimBulk(_ db: Connection, month: String) throws -> Bool {
        let table = try tableName(month)
        try db.query(AdvisoryLock.bulkLoadSQL, [month])
        if try db.execute("""
            SELECT to_regclass(\(table)) IS NULL AND NOT EXISTS (SELECT 1 FROM cdr_months_archived WHERE month = to_date(\(month), 'YYYY-MM'))
            """).scalar(Bool.self) == true {
            return true
        }
        try db.execute("SELECT cdrs_ensure_month(to_date(\(month), 'YYYY-MM'))")
        return false
    }

    /// The bulk backfill path, in the file's transaction: the SQL function
    /// `cdrs_open_month_load` makes a fresh table for `month` (as the owner of
    /// cdrs, with its privileges); `load` COPYs the file's rows into it; then
    /// `cdrs_attach_month_load` builds its indexes (the parent's, in one pass
    /// each), validates its foreign keys in one set-based pass each, registers
    /// its uuids in one sorted INSERT, and attaches it as the month's partition.
    /// A rollback or kill -9 leaves no trace of it. The functions run as the
    /// owner of cdrs, so a nightly role that owns nothing (`cdr-rater grants`)
    /// takes this path too.
    static func bulkLoad(_ db: Connection, month: String, step: (String) -> Void, load: (String) throws -> Void) throws {
        _ = try tableName(month)
        guard let table = try db.execute("SELECT cdrs_open_month_load(to_date(\(month), 'YYYY-MM'))").scalar(String.self) else {
            throw BillingError("cdrs_open_month_load made no table for \(month)")
        }
        try load(table)
        step("bulk load: COPY into \(table)")
        try db.execute("SELECT cdrs_attach_month_load(to_date(\(month), 'YYYY-MM'))")
        step("bulk load: indexes built, foreign keys validated, uuids registered, attached")
    }

    /// The current month (business zone) and the next `ahead`; returns the partitions made.
    public static func ensureAhead(_ db: Connection, months ahead: Int) throws -> [String] {
        let before = Set(try list(db).map(\.table))
        try db.execute("""
            SELECT cdrs_ensure_month((date_trunc('month', now() AT TIME ZONE \(unescaped: CatalogLoader.businessZoneSQL)) + n * interval '1 month')::date)
            FROM generate_series(0, \(max(0, ahead))::int) AS n
            """)
        return try list(db).map(\.table).filter { !before.contains($0) }
    }

    /// Attached partitions and archived months, oldest first.
    public static func list(_ db: Connection) throws -> [Month] {
        try db.execute("""
            SELECT to_char(m.first, 'YYYY-MM'), m.tab, coalesce(to_char(m.first, 'YYYY-MM-DD'), ''),
                   coalesce(to_char(m.first + interval '1 month', 'YYYY-MM-DD'), ''), coalesce(c.reltuples::bigint, -1), m.archived
            FROM (
                SELECT to_date(substr(c.relname, 6), 'YYYY_MM') AS first, c.relname::text AS tab, false AS archived
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'cdrs'::regclass
                UNION ALL
                SELECT month, table_name, true FROM cdr_months_archived
            ) m LEFT JOIN pg_class c ON c.relname = m.tab AND c.relkind = 'r'
            ORDER BY m.first
            """).decode((String, String, String, String, Int64, Bool).self).map {
            Month(month: $0, table: $1, from: $2, to: $3, rows: $4, archived: $5)
        }
    }

    /// Detaches a month (YYYY-MM): its table stays, outside cdrs, for pg_dump and DROP.
    /// Its uuids stay in cdr_uuids, so a CDR of it sent again is still a duplicate.
    public static func detach(_ db: Connection, month: String) throws -> String {
        let table = try tableName(month)
        try db.transaction {
            guard try !db.execute("""
                SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'cdrs'::regclass AND c.relname = \(table)
                """).rows.isEmpty else {
                throw BillingError("cdrs has no partition \(table) for \(month); 'cdr-rater partitions list' shows the months")
            }
            try db.execute(script: "ALTER TABLE cdrs DETACH PARTITION \(table)")
            try db.execute("INSERT INTO cdr_months_archived (month, table_name) VALUES (to_date(\(month), 'YYYY-MM'), \(table))")
        }
        return table
    }

    /// Attaches a detached month back.
    public static func attach(_ db: Connection, month: String) throws {
        let table = try tableName(month)
        try db.transaction {
            guard try !db.execute("SELECT 1 FROM cdr_months_archived WHERE month = to_date(\(month), 'YYYY-MM')").rows.isEmpty else {
                throw BillingError("\(month) is not an archived month; 'cdr-rater partitions list' shows the months")
            }
            guard try db.execute("SELECT to_regclass(\(table)) IS NOT NULL").scalar(Bool.self) == true else {
                throw BillingError("the table \(table) of \(month) is gone (dropped after archiving?): restore it from its dump first")
            }
            try db.execute("DELETE FROM cdr_months_archived WHERE month = to_date(\(month), 'YYYY-MM')")
            try db.execute("""
                SELECT format('ALTER TABLE cdrs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', \(table)::text,
                              m::timestamp AT TIME ZONE z, (m + interval '1 month')::timestamp AT TIME ZONE z)
                FROM (SELECT to_date(\(month), 'YYYY-MM') AS m, \(unescaped: CatalogLoader.businessZoneSQL) AS z) x
                """).scalar(String.self).map { try db.execute(script: $0) }
        }
    }

    /// Refuses work on calls from `from` to `to` (epoch seconds) when a month among them is archived.
    static func refuseArchived(_ db: Connection, from: Int64, to: Int64) throws {
        let archived = try db.execute("""
            SELECT to_char(a.month, 'YYYY-MM') FROM cdr_months_archived a, (SELECT \(unescaped: CatalogLoader.businessZoneSQL) AS z) x
            WHERE a.month::timestamp AT TIME ZONE x.z < to_timestamp(\(to))
              AND (a.month + interval '1 month')::timestamp AT TIME ZONE x.z > to_timestamp(\(from))
            ORDER BY 1
            """).decode(String.self)
        guard archived.isEmpty else {
            throw BillingError("the calls of \(archived.joined(separator: ", ")) are archived (detached): nothing was done. "
                + "Attach \(archived.count == 1 ? "it" : "them") back first: cdr-rater partitions attach \(archived[0])")
        }
    }

    /// cdrs_YYYY_MM for a month given as YYYY-MM.
    static func tableName(_ month: String) throws -> String {
        let parts = month.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]),
              (1 ... 9999).contains(y), (1 ... 12).contains(m) else {
            throw BillingError.usage("a month is written YYYY-MM, for example 2024-10; got \(month)")
        }
        return "cdrs_\(parts[0])_\(parts[1])"
    }
}
