import Foundation
import Postgres
import RatingRules

/// The usage rows (`subscription_usage`) and prepaid balances, as rating
/// and re-rating read and write them.
protocol UsageStore: AnyObject {
    /// The `subscription_usage` row, nil when there is none.
    func usageRow(_ key: UsageKey) throws -> UsageRow?
    /// Locks the usage rows of `rows` (made first when missing, with `included`
    /// minutes and no usage) in (subscription, period) order, until the
    /// transaction ends: runs rating other files wait here for each other.
    func lockUsageRows(_ rows: [(key: UsageKey, periodEnd: Int64, included: Int)]) throws
    /// Upserts usage rows and moves prepaid balances by their debits.
    func write(_ usage: [UsageWrite]) throws
}

extension PostgresBillingStore: UsageStore {
    func usageRow(_ key: UsageKey) throws -> UsageRow? {
        let figures = UsageMetadata.figures("") + UsageMetadata.imported("")
        guard let r = try db.query("""
            SELECT minutes_included, \(figures.joined(separator: ", ")), \(UsageMetadata.keptCallCost("")), overage_cost,
                   minutes_overage, (metadata->>'\(UsageMetadata.billedSeconds)')::int, (metadata->>'\(UsageMetadata.coveredSeconds)')::int
            FROM subscription_usage WHERE subscription_id = $1 AND billing_period_start = to_timestamp($2)
            """, [key.subscriptionId, String(key.periodStart)]).rows.first else { return nil }
        let v: [Int] = r[0 ... 12].map { Int($0!)! }
        let imported = UsageMetadata.totals(Array(v[7 ... 12]))
        var totals = UsageMetadata.totals(Array(v[1 ... 6]))
        // A row written before seconds were kept: its calls' minutes, all in the bundle, x 60.
        let billed: Int = r[16].flatMap { Int($0) } ?? (totals.minutesUsed - imported.minutesUsed) * 60
        let overage: Int = Int(r[15]!)! - max(0, imported.minutesUsed - v[0])
        totals.minutesUsed = imported.minutesUsed
        totals.billedSeconds = billed
        totals.coveredSeconds = r[17].flatMap { Int($0) } ?? billed - overage * 60
        return UsageRow(minutesIncluded: v[0], imported: imported, totals: totals,
                        callCost: r[13].flatMap { Money($0) } ?? .zero, overageCost: Money(r[14]!)!)
    }

    func lockUsageRows(_ rows: [(key: UsageKey, periodEnd: Int64, included: Int)]) throws {
        guard !rows.isEmpty else { return }
        let rows = rows.sorted { $0.key < $1.key }
        let subscriptions = postgresArrayLiteral(rows.map(\.key.subscriptionId))
        let starts = "{" + rows.map { String($0.key.periodStart) }.joined(separator: ",") + "}"
        // One order for every run: the INSERT makes the missing rows in it (a row another run is making
        // waits for that run), then the SELECT locks them all in it. A new row's metadata is what a
        // rated row with no calls has, so reading it back gives what no row at all would.
        try db.query("""
            INSERT INTO subscription_usage (subscription_id, billing_period_start, billing_period_end, minutes_included, metadata)
            SELECT k.s, to_timestamp(k.p), to_timestamp(k.e), k.i,
                   \(UsageMetadata.empty)
            FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::int[]) AS k(s, p, e, i)
            ORDER BY k.s, k.p
            ON CONFLICT (subscription_id, billing_period_start) DO NOTHING
            """, [subscriptions, starts, "{" + rows.map { String($0.periodEnd) }.joined(separator: ",") + "}",
                  "{" + rows.map { String($0.included) }.joined(separator: ",") + "}"])
        try db.query("""
            SELECT 1 FROM subscription_usage u
            JOIN unnest($1::uuid[], $2::bigint[]) AS k(s, p) ON u.subscription_id = k.s AND u.billing_period_start = to_timestamp(k.p)
            ORDER BY u.subscription_id, u.billing_period_start
            FOR UPDATE OF u
            """, [subscriptions, starts])
    }

    func write(_ usage: [UsageWrite]) throws {
        var debits: [String: Money] = [:]
        for w in usage.sorted(by: { $0.key < $1.key }) {
            let a = w.after
            try db.query("""
                INSERT INTO subscription_usage (subscription_id, billing_period_start, billing_period_end, minutes_included,
                    minutes_used, minutes_overage, overage_cost, local_calls, std_calls, isd_calls, mobile_calls, metadata)
                VALUES ($1, to_timestamp($2), to_timestamp($3), $4, $5, $6, $7, $8, $9, $10, $11, \(UsageMetadata.object(parameters: 12)))
                ON CONFLICT (subscription_id, billing_period_start) DO UPDATE SET
                    minutes_included = EXCLUDED.minutes_included, minutes_used = EXCLUDED.minutes_used,
                    minutes_overage = EXCLUDED.minutes_overage, overage_cost = EXCLUDED.overage_cost,
                    local_calls = EXCLUDED.local_calls, std_calls = EXCLUDED.std_calls, isd_calls = EXCLUDED.isd_calls,
                    mobile_calls = EXCLUDED.mobile_calls,
                    metadata = coalesce(subscription_usage.metadata, '{}'::jsonb) || EXCLUDED.metadata,
                    updated_at = now()
                """, [w.subscription.id, String(w.key.periodStart), String(w.periodEnd), String(a.minutesIncluded),
                      String(a.minutesUsed), String(a.minutesOverage), a.overageCost.formatted(decimals: 2),
                      String(a.totals.localCalls), String(a.totals.stdCalls), String(a.totals.isdCalls), String(a.totals.mobileCalls)]
                      + UsageMetadata.values(a))
            debits[w.subscription.accountId, default: .zero] += w.debit
        }
        for (account, amount) in debits.sorted(by: { $0.key < $1.key }) where amount != .zero {
            try db.query("UPDATE accounts SET balance = balance - $1::numeric, updated_at = now() WHERE id = $2 AND account_type = 'prepaid'",
                         [amount.formatted(decimals: 2), account])
        }
    }
}
