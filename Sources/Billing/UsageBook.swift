import Postgres
import RatingCore

/// The `subscription_usage` rows a run touches: read once from the database,
/// then kept up to date as each file's usage is added. Valid because a run
/// holds the rating lock (or, in a dry run, one read-only snapshot).
final class UsageBook {
    private let db: Connection
    private var rows: [UsageKey: UsageTotals] = [:]

    init(db: Connection) { self.db = db }

    /// Usage recorded before this point of the run (zero when there is no row).
    func totals(_ key: UsageKey) -> UsageTotals { rows[key] ?? UsageTotals() }

    /// Reads the rows for `keys` not read yet.
    func load(_ keys: Set<UsageKey>) throws {
        for key in keys where rows[key] == nil {
            let r = try db.query("""
                SELECT minutes_used, local_calls, std_calls, isd_calls, mobile_calls,
                       coalesce((metadata->>'toll_free_calls')::int, 0)
                FROM subscription_usage WHERE subscription_id = $1 AND billing_period_start = to_timestamp($2)
                """, [key.subscriptionId, String(key.periodStart)]).rows.first
            rows[key] = r.map { r in
                let v = r.map { Int($0 ?? "0") ?? 0 }
                return UsageTotals(minutesUsed: v[0], localCalls: v[1], stdCalls: v[2], isdCalls: v[3],
                                   mobileCalls: v[4], tollFreeCalls: v[5])
            } ?? UsageTotals()
        }
    }

    func add(_ added: [UsageKey: UsageTotals]) {
        for (key, delta) in added { rows[key] = totals(key) + delta }
    }
}
