import Foundation
import Postgres
import RatingCore

/// A stored call's price and minutes, before or after a change.
struct PricedCall: Equatable {
    var subscriptionId: String?
    var cost: Money
    /// The usage period the call counts in; nil when it matched no subscription.
    var periodStart: Int64?
    var chargedMinutes = 0
    var includedMinutes = 0
    var overageMinutes: Int { chargedMinutes - includedMinutes }
}

extension PricedCall {
    /// A call of usage row `key` that holds included minutes.
    init(held: HeldCall, key: UsageKey) {
        self.init(subscriptionId: key.subscriptionId, cost: held.cost, periodStart: key.periodStart,
                  chargedMinutes: held.minutes, includedMinutes: held.includedMinutes)
    }
}

/// How a stored call is matched: what `rerate` may change besides its price.
struct CallMatch: Equatable {
    var subscriptionId: String?
    var accountId: String?
    var direction: CallDirection
    var type: CallType
    var status: CallStatus
    var error: String?

    init(_ c: ClassifiedCall) {
        subscriptionId = c.subscription?.id
        accountId = c.subscription?.accountId
        direction = c.direction
        type = c.type
        status = c.status
        error = c.unmatchedReason
    }

    init(subscriptionId: String?, accountId: String?, direction: CallDirection, type: CallType, status: CallStatus, error: String?) {
        self.subscriptionId = subscriptionId
        self.accountId = accountId
        self.direction = direction
        self.type = type
        self.status = status
        self.error = error
    }
}

/// One change to a stored call: a new price, and with `rerate` perhaps a new match.
struct CallChange {
    let uuid: String
    let start: Int64
    let before: PricedCall
    let after: PricedCall
    /// The call's new match; nil keeps the stored one.
    let match: CallMatch?
}

/// What made a change, for the cost history.
enum ChangeSource {
    case lateCall(fileId: String)
    case rerate(runId: String)
}

/// A usage row to write: where it stands before and after.
struct UsageWrite {
    let key: UsageKey
    let periodEnd: Int64
    let subscription: Subscription
    /// nil: no row yet.
    let before: UsageRow?
    let after: UsageRow

    /// The prepaid debit (negative: a credit) this write carries; zero for postpaid.
    var debit: Money {
        guard subscription.accountType == .prepaid else { return .zero }
        return UsageRow.prepaidDebit(from: before ?? UsageRow(minutesIncluded: after.minutesIncluded), to: after)
    }
}

/// The database side of rating and re-rating: every read and write of
/// `rate` and `rerate` goes through here, so both drive the same steps.
protocol BillingStore: AnyObject {
    /// The `subscription_usage` row, nil when there is none.
    func usageRow(_ key: UsageKey) throws -> UsageRow?
    /// The stored charged calls of a usage period that hold included minutes;
    /// with `earliest`, that many of its first charged calls instead, holding minutes or not.
    func heldCalls(subscriptionId: String, period: UsagePeriod, earliest: Int?) throws -> [HeldCall]
    /// Locks the usage rows of `rows` (made first when missing, with `included`
    /// minutes and no usage) in (subscription, period) order, until the
    /// transaction ends: runs rating other files wait here for each other.
    func lockUsageRows(_ rows: [(key: UsageKey, periodEnd: Int64, included: Int)]) throws
    /// The uuids among `uuids` that are stored already (`cdr_uuids`).
    func storedUUIDs(_ uuids: [String]) throws -> Set<CDRKey>
    /// Applies price and match changes to stored calls and records them in
    /// the cost history (with no `source`: not recorded, for a file's own calls).
    func apply(_ changes: [CallChange], source: ChangeSource?) throws
    /// Upserts usage rows and moves prepaid balances by their debits.
    func write(_ usage: [UsageWrite]) throws
}

/// The PostgreSQL implementation.
final class PostgresBillingStore: BillingStore {
    let db: Connection

    init(db: Connection) { self.db = db }

    func usageRow(_ key: UsageKey) throws -> UsageRow? {
        let figures = UsageMetadata.figures("") + UsageMetadata.imported("")
        guard let r = try db.query("""
            SELECT minutes_included, \(figures.joined(separator: ", ")), \(UsageMetadata.keptCallCost("")), overage_cost
            FROM subscription_usage WHERE subscription_id = $1 AND billing_period_start = to_timestamp($2)
            """, [key.subscriptionId, String(key.periodStart)]).rows.first else { return nil }
        let v = r[0 ... 12].map { Int($0!)! }
        return UsageRow(minutesIncluded: v[0], imported: UsageMetadata.totals(Array(v[7 ... 12])),
                        totals: UsageMetadata.totals(Array(v[1 ... 6])),
                        callCost: r[13].flatMap { Money($0) } ?? .zero, overageCost: Money(r[14]!)!)
    }

    func heldCalls(subscriptionId: String, period: UsagePeriod, earliest: Int?) throws -> [HeldCall] {
        // The predicate is the partial index cdrs_holding_included_minutes's.
        let which = earliest != nil ? "(metadata->>'charged_minutes')::int > 0 ORDER BY start_time, uuid COLLATE \"C\" LIMIT \(earliest!)"
            : "(metadata->>'included_minutes')::int > 0"
        return try db.query("""
            SELECT uuid, extract(epoch FROM start_time)::bigint, (metadata->>'charged_minutes')::int,
                   (metadata->>'included_minutes')::int, cost
            FROM cdrs
            WHERE subscription_id = $1 AND start_time >= to_timestamp($2) AND start_time < to_timestamp($3)
              AND \(which)
            """, [subscriptionId, String(period.start), String(period.end)]).rows.map {
            HeldCall(uuid: $0[0]!, start: Int64($0[1]!)!, minutes: Int($0[2]!)!, includedMinutes: Int($0[3]!)!, cost: Money($0[4]!)!)
        }
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

    func storedUUIDs(_ uuids: [String]) throws -> Set<CDRKey> {
        var found = Set<CDRKey>()
        var start = 0
        while start < uuids.count {
            let batch = uuids[start ..< min(start + 5000, uuids.count)]
            start += batch.count
            // cdr_uuids: one index for every month (and for the months detached for archiving).
            for row in try db.query("SELECT uuid FROM cdr_uuids WHERE uuid = ANY($1::text[])", [postgresArrayLiteral(batch)]).rows {
                found.insert(CDRKey(row[0]!))
            }
        }
        return found
    }

    /// The temporary table changes are copied into, column by column, in the order `apply` encodes them.
    static let changeTable: [(name: String, type: String)] = [
        ("uuid", "text PRIMARY KEY"), ("start_time", "timestamptz NOT NULL"), ("rematch", "boolean NOT NULL"),
        ("minutes_changed", "boolean NOT NULL"), ("subscription_id", "uuid"), ("account_id", "uuid"),
        ("call_direction", "enum_cdrs_call_direction"), ("call_type", "enum_cdrs_call_type"), ("call_status", "enum_cdrs_call_status"),
        ("processing_error", "text"), ("cost", "numeric(10,4) NOT NULL"), ("period_start", "text"), ("charged", "integer"),
        ("included", "integer"), ("overage", "integer"), ("old_cost", "numeric(10,4) NOT NULL"), ("old_subscription_id", "uuid"),
        ("old_included", "integer"), ("old_overage", "integer"),
    ]

    func apply(_ changes: [CallChange], source: ChangeSource?) throws {
        guard !changes.isEmpty else { return }
        let table = PostgresBillingStore.changeTable
        try db.execute(script: """
            CREATE TEMP TABLE IF NOT EXISTS cdr_changes (\(table.map { $0.name + " " + $0.type }.joined(separator: ", ")))
                ON COMMIT DELETE ROWS;
            TRUNCATE cdr_changes;
            """)
        _ = try db.copyIn("COPY cdr_changes (\(table.map(\.name).joined(separator: ", "))) FROM STDIN") { sink in
            var row = CopyEncoder(capacity: 256 * 1024)
            let yes = Array("t".utf8), no = Array("f".utf8)
            for c in changes {
                row.text(c.uuid)
                row.timestamp(c.start)
                row.raw(c.match != nil ? yes : no)
                let minutesChanged = c.match != nil || c.before.periodStart != c.after.periodStart
                    || c.before.chargedMinutes != c.after.chargedMinutes || c.before.includedMinutes != c.after.includedMinutes
                row.raw(minutesChanged ? yes : no)
                let m = c.match
                row.text(m != nil ? m!.subscriptionId : c.after.subscriptionId)
                row.text(m?.accountId)
                row.text(m?.direction.rawValue)
                row.text(m?.type.rawValue)
                row.text(m?.status.rawValue)
                row.text(m?.error)
                row.text(c.after.cost.description)
                row.text(c.after.periodStart.map(postgresTimestamp))
                for v in [c.after.chargedMinutes, c.after.includedMinutes, c.after.overageMinutes] {
                    if c.after.periodStart == nil { row.text(nil) } else { row.int(v) }
                }
                row.text(c.before.cost.description)
                row.text(c.before.subscriptionId)
                for v in [c.before.includedMinutes, c.before.overageMinutes] {
                    if c.before.periodStart == nil { row.text(nil) } else { row.int(v) }
                }
                row.endRow()
                if row.buffer.count >= 256 * 1024 { try sink.write(row.buffer); row.clear() }
            }
            try sink.write(row.buffer)
        }
        // Its statistics, so that a few changes are joined through the uuid indexes, not by scanning the months.
        try db.execute(script: "ANALYZE cdr_changes")
        try db.execute(script: """
            UPDATE cdrs c SET
                cost = x.cost,
                subscription_id = CASE WHEN x.rematch THEN x.subscription_id ELSE c.subscription_id END,
                account_id = CASE WHEN x.rematch THEN x.account_id ELSE c.account_id END,
                call_direction = CASE WHEN x.rematch THEN x.call_direction ELSE c.call_direction END,
                call_type = CASE WHEN x.rematch THEN x.call_type ELSE c.call_type END,
                call_status = CASE WHEN x.rematch THEN x.call_status ELSE c.call_status END,
                processing_status = CASE WHEN NOT x.rematch THEN c.processing_status
                                         WHEN x.subscription_id IS NULL THEN 'failed'::enum_cdrs_processing_status
                                         ELSE 'processed' END,
                processing_error = CASE WHEN x.rematch THEN x.processing_error ELSE c.processing_error END,
                -- A change of price alone (a new rate) leaves metadata as it is: cheaper to write.
                metadata = CASE WHEN NOT x.minutes_changed THEN c.metadata ELSE (coalesce(c.metadata, '{}'::jsonb)
                            - ARRAY['usage_period_start', 'charged_minutes', 'included_minutes', 'overage_minutes'])
                           || CASE WHEN x.period_start IS NULL THEN '{}'::jsonb
                                   ELSE jsonb_build_object('usage_period_start', x.period_start, 'charged_minutes', x.charged,
                                                           'included_minutes', x.included, 'overage_minutes', x.overage) END END,
                updated_at = now()
            FROM cdr_changes x WHERE c.uuid = x.uuid AND c.start_time = x.start_time -- the month: one partition a call
            """)
        guard let source else { return }
        let reason: String, fileId: String?, runId: String?
        switch source {
        case .lateCall(let id): (reason, fileId, runId) = ("late_call", id, nil)
        case .rerate(let id): (reason, fileId, runId) = ("rerate", nil, id)
        }
        try db.query("""
            INSERT INTO cdr_cost_history (cdr_uuid, call_start_time, old_cost, new_cost, old_subscription_id, new_subscription_id,
                old_included_minutes, new_included_minutes, old_overage_minutes, new_overage_minutes,
                reason, cdr_file_id, rerate_run_id)
            SELECT uuid, start_time, old_cost, cost, old_subscription_id, subscription_id, old_included, included,
                   old_overage, overage, $1, $2::uuid, $3::uuid
            FROM cdr_changes
            WHERE cost <> old_cost OR subscription_id IS DISTINCT FROM old_subscription_id
            """, [reason, fileId, runId])
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
                      String(a.totals.minutesUsed), String(a.minutesOverage), a.overageCost.formatted(decimals: 2),
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

/// A PostgreSQL text[] literal: `{"a","b"}`, quotes and backslashes escaped.
func postgresArrayLiteral<S: Sequence>(_ items: S) -> String where S.Element == String {
    var out = [UInt8]("{".utf8)
    for item in items {
        if out.count > 1 { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        for b in item.utf8 {
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }
    out.append(UInt8(ascii: "}"))
    return String(decoding: out, as: UTF8.self)
}
