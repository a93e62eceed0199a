import Foundation
import Logging
import Postgres
import RatingRules

/// The bulk path of `rerate` (issue 17): a month most of whose calls changed
/// is written anew instead of UPDATEd, in the rerate's transaction.
///
/// While the periods are priced, each batch of changes goes by COPY into a
/// temporary table (`cdr_rerate_changes`, the columns of `cdr_changes`), and
/// its cost history rows by COPY straight into `cdr_cost_history`. Nothing
/// else is written until every change is known; then, month by month:
/// - when at least `share` of the month's calls changed, the month is
///   rewritten: a fresh table shaped like its partition
///   (`cdrs_open_month_rewrite`) gets all the month's rows, changed and
///   unchanged, in one INSERT ... SELECT with the changes applied by the
///   UPDATE's own expressions (`PostgresBillingStore.changedColumns`); its
///   indexes are built after the load and its foreign keys validated in one
///   set-based pass each (`cdrs_build_month_rewrite`); then it is swapped in
///   place of the old partition, under its name (`cdrs_swap_month_rewrite`);
/// - else its changed calls are UPDATEd from the staged changes, as the
///   UPDATE path does.
/// The functions run as the owner of cdrs, so a nightly role that owns
/// nothing takes this path too. A rollback or kill -9 at any moment leaves
/// the old partition as it was; the fresh table is gone with the transaction.
final class MonthRewrite {
    /// The share of a month's calls changed from which it is rewritten rather than UPDATEd, measured by
    /// `scripts/bench-over-time` after a tariff change (2 cores shared, a 1M-call month, 3 alternating rounds,
    /// 2026-12-01): with 19.8% of the month changed (one plan moved to a tariff of its own) the UPDATE took
    /// 19.1, 24.7, 21.0 s against 23.7, 23.4, 24.3 s rewritten (means 21.6 and 23.8); with 69.8% changed the
    /// rewrite took 65.5 s against 86.6 s (means). The difference, taken as linear in the share, changes sign
    /// at about 25%. Under the break-even the UPDATE is cheaper (it writes only the changed rows); above it the
    /// rewrite (it writes every row once and builds the indexes in one pass each).
    static let defaultShare = 0.25
    /// The temporary table of the staged changes.
    static let staged = "cdr_rerate_changes"

    let db: Connection
    let zone: ZoneRules
    let share: Double
    let runId: String
    let logger: Logger
    private var created = false
    /// The changes staged, by month of the business zone (year x 12 + month - 1).
    private var perMonth: [Int: Int] = [:]
    /// Seconds spent in the COPYs of staged changes and of history rows, and the rows copied, for the trace.
    private var stagedSeconds = 0.0, historySeconds = 0.0, historyRows = 0, stagedRows = 0

    init(db: Connection, zone: ZoneRules, share: Double, runId: String, logger: Logger) {
        self.db = db
        self.zone = zone
        self.share = share
        self.runId = runId
        self.logger = logger
    }

    /// The months rewritten, and those whose calls were UPDATEd, as YYYY-MM, once `write` ran.
    private(set) var rewritten: [String] = []
    private(set) var updated: [String] = []

    /// Copies a batch of changes into the staged table and their history rows into `cdr_cost_history`.
    func stage(_ changes: [CallChange]) throws {
        guard !changes.isEmpty else { return }
        let table = PostgresBillingStore.changeTable
        if !created {
            // No index: the staged changes are joined whole (a hash join) or probed from cdrs' uuid indexes.
            try db.execute(script: """
                CREATE TEMP TABLE \(MonthRewrite.staged) (\(table.map { $0.name + " " + $0.type.replacingOccurrences(of: " PRIMARY KEY", with: "") }
                    .joined(separator: ", "))) ON COMMIT DROP
                """)
            created = true
        }
        var mark = Date()
        try PostgresBillingStore(db: db).copy(changes, into: MonthRewrite.staged)
        stagedSeconds += Date().timeIntervalSince(mark)
        stagedRows += changes.count
        for c in changes {
            let t = zone.local(of: c.start)
            perMonth[t.year * 12 + t.month - 1, default: 0] += 1
        }
        mark = Date()
        historyRows += try copyHistory(changes)
        historySeconds += Date().timeIntervalSince(mark)
    }

    /// Logs (CDR_RATER_TRACE=1) how much of the pricing step the staging COPYs took.
    func traceStaging() {
        let line = "    of which: staged changes by COPY \(stagedRows) rows \(String(format: "%.2f", stagedSeconds)) s, "
            + "cost history by COPY \(historyRows) rows \(String(format: "%.2f", historySeconds)) s"
        logger.debug("\(line)")
    }

    /// The history columns, and the columns of the changes table that fill them (`apply`'s INSERT ... SELECT).
    private static let history: [(column: String, from: String)] = [
        ("cdr_uuid", "uuid"), ("call_start_time", "start_time"), ("old_cost", "old_cost"), ("new_cost", "cost"),
        ("old_subscription_id", "old_subscription_id"), ("new_subscription_id", "subscription_id"),
        ("old_included_minutes", "old_included"), ("new_included_minutes", "included"),
        ("old_overage_minutes", "old_overage"), ("new_overage_minutes", "overage"),
    ]

    /// One history row for each change of cost or subscription, as `apply` writes them.
    @discardableResult
    private func copyHistory(_ changes: [CallChange]) throws -> Int {
        let byName = Dictionary(uniqueKeysWithValues: PostgresBillingStore.changeTable.map { ($0.name, $0) })
        let encoders = try MonthRewrite.history.map { h in
            guard let column = byName[h.from] else { throw BillingError("the changes table has no column \(h.from)") }
            return column.encode
        }
        let recorded = changes.filter { c in
            c.after.cost != c.before.cost || (c.match.map { $0.subscriptionId } ?? c.after.subscriptionId) != c.before.subscriptionId
        }
        guard !recorded.isEmpty else { return 0 }
        let columns = MonthRewrite.history.map(\.column) + ["reason", "rerate_run_id"]
        let reason = CopyEncoder.escaped("rerate"), run = CopyEncoder.escaped(runId)
        _ = try db.copyIn("COPY cdr_cost_history (\(columns.joined(separator: ", "))) FROM STDIN") { sink in
            var row = CopyEncoder(capacity: 256 * 1024)
            for c in recorded {
                for encode in encoders { encode(&row, c) }
                row.raw(reason)
                row.raw(run)
                row.endRow()
                if row.buffer.count >= 256 * 1024 { try sink.write(row.buffer); row.clear() }
            }
            try sink.write(row.buffer)
        }
        return recorded.count
    }

    /// Writes the staged changes to the calls, month by month: rewritten or UPDATEd.
    func write(step: (String) -> Void) throws {
        guard created else { return }
        try db.execute(script: "ANALYZE \(MonthRewrite.staged)")
        step("analyze the staged changes")
        for (month, changed) in perMonth.sorted(by: { $0.key < $1.key }) {
            let name = Partitions.name(Int32(month))
            let bounds = try db.execute("""
                SELECT extract(epoch FROM m::timestamp AT TIME ZONE z)::bigint, extract(epoch FROM (m + interval '1 month')::timestamp AT TIME ZONE z)::bigint
                FROM (SELECT to_date(\(name), 'YYYY-MM') AS m, \(unescaped: CatalogLoader.businessZoneSQL) AS z) x
                """).decode((Int64, Int64).self)
            guard let (lower, upper) = bounds.first else { throw BillingError("no bounds for the month \(name)") }
            let calls = try db.execute("""
                SELECT count(*) FROM cdrs WHERE start_time >= to_timestamp(\(String(lower))::double precision)
                AND start_time < to_timestamp(\(String(upper))::double precision)
                """).scalar(Int.self) ?? 0
            let month = Month(name: name, lower: lower, upper: upper)
            step("\(name): bounds and count of the month's calls")
            if calls > 0, Double(changed) >= share * Double(calls) {
                logger.info("rerate: \(name): \(changed) of \(calls) calls changed (\(percent(changed, calls)), at least \(percent(share)) rewrites): the month is written anew")
                try rewrite(month, step: step)
                rewritten.append(name)
            } else {
                logger.info("rerate: \(name): \(changed) of \(calls) calls changed (\(percent(changed, calls)), under \(percent(share))): updated in place")
                try PostgresBillingStore.analyzeMonths(db, first: lower, last: upper - 1)
                try db.execute(script: PostgresBillingStore.updateFromChanges(MonthRewrite.staged, where: month.predicate("x")
                    + " AND " + month.predicate("c")))
                step("\(name): update the calls that changed")
                updated.append(name)
            }
        }
    }

    /// A month of cdrs: its name and its bounds in epoch seconds.
    struct Month {
        let name: String
        let lower: Int64
        let upper: Int64

        /// `alias`.start_time in the month.
        func predicate(_ alias: String) -> String {
            "\(alias).start_time >= to_timestamp(\(lower)) AND \(alias).start_time < to_timestamp(\(upper))"
        }
    }

    private func rewrite(_ month: Month, step: (String) -> Void) throws {
        guard let fresh = try db.execute("SELECT cdrs_open_month_rewrite(to_date(\(month.name), 'YYYY-MM'))").scalar(String.self) else {
            throw BillingError("cdrs_open_month_rewrite made no table for \(month.name)")
        }
        step("\(month.name): rewrite: \(fresh) made")
        let columns = try db.execute("""
            SELECT attname::text FROM pg_attribute WHERE attrelid = 'cdrs'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """).decode(String.self)
        let changed = Dictionary(uniqueKeysWithValues: PostgresBillingStore.changedColumns.map { ($0.column, $0.value) })
        let values = columns.map { column in
            changed[column].map { "CASE WHEN x.uuid IS NULL THEN c.\(column) ELSE \($0) END" } ?? "c.\(column)"
        }
        // The staged changes of the month are hashed; the month is read once.
        try db.execute(script: "SET LOCAL work_mem = '256MB'")
        try db.execute(script: """
            INSERT INTO \(fresh) (\(columns.joined(separator: ", ")))
            SELECT \(values.joined(separator: ",\n"))
            FROM cdrs c LEFT JOIN \(MonthRewrite.staged) x ON x.uuid = c.uuid AND x.start_time = c.start_time AND \(month.predicate("x"))
            WHERE \(month.predicate("c"))
            """)
        try db.execute(script: "RESET work_mem")
        step("\(month.name): rewrite: the month's calls into \(fresh)")
        FailPoint.hit("rerate:rewrite-loaded")
        try db.execute("SELECT cdrs_build_month_rewrite(to_date(\(month.name), 'YYYY-MM'))")
        step("\(month.name): rewrite: indexes built, foreign keys validated")
        FailPoint.hit("rerate:rewrite-built")
        try db.execute("SELECT cdrs_swap_month_rewrite(to_date(\(month.name), 'YYYY-MM'))")
        step("\(month.name): rewrite: swapped in place of the partition")
        FailPoint.hit("rerate:rewrite-swapped")
    }

    private func percent(_ part: Int, _ whole: Int) -> String { whole == 0 ? "-" : percent(Double(part) / Double(whole)) }
    private func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }
}

extension MonthRewrite {
    /// Whether the database has the rewrite's functions (a migration of this version): an older schema UPDATEs.
    static func available(_ db: Connection) throws -> Bool {
        try db.execute("SELECT to_regprocedure('public.cdrs_swap_month_rewrite(date)') IS NOT NULL").scalar(Bool.self) == true
    }
}
