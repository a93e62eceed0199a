import Postgres

/// The equalities of SPEC section 3, checked in SQL against what is stored.
/// Each violation is one line naming the usage row or call and what is off.
public enum MoneyCheck {
    /// Every usage row against its period's stored calls and its imported usage.
    static let usageRows = """
        SELECT s.subscription_number || ' period from ' || to_char(u.billing_period_start AT TIME ZONE z.zone, 'YYYY-MM-DD HH24:MI')
               || ' ' || z.zone || ': ' || p.problems
        FROM subscription_usage u
        JOIN subscriptions s ON s.id = u.subscription_id
        CROSS JOIN (SELECT \(CatalogLoader.businessZoneSQL) AS zone) z
        CROSS JOIN LATERAL (
            SELECT count(*) AS calls, coalesce(sum(c.cost), 0) AS cost,
                   coalesce(sum(\(CDRMetadata.chargedMinutes.int("c"))), 0) AS minutes,
                   coalesce(sum(\(CDRMetadata.includedMinutes.int("c"))), 0) AS included,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'local') AS local,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'std') AS std,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'isd') AS isd,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'mobile') AS mobile,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'toll_free') AS toll_free
            FROM cdrs c
            WHERE c.subscription_id = u.subscription_id
              AND c.start_time >= u.billing_period_start AND c.start_time < u.billing_period_end
        ) t
        CROSS JOIN LATERAL (SELECT \(importedColumns)) i
        CROSS JOIN LATERAL (SELECT \(recordedCalls.joined(separator: " || '/' || ")) AS recorded,
                                   concat_ws('/', t.local, t.std, t.isd, t.mobile, t.toll_free) AS stored,
                                   concat_ws('/', i.local, i.std, i.isd, i.mobile, i.toll_free) AS imported) n
        CROSS JOIN LATERAL (SELECT concat_ws('; ',
                   CASE WHEN u.overage_cost <> round(t.cost, 2)
                        THEN 'overage_cost ' || u.overage_cost || ' <> round2(sum of call costs ' || t.cost || ')' END,
                   CASE WHEN coalesce((\(UsageMetadata.keptCallCost("u.")))::numeric, -1) <> t.cost
                        THEN 'metadata.\(UsageMetadata.callCost) ' || coalesce(\(UsageMetadata.keptCallCost("u.")), 'missing') || ' <> ' || t.cost END,
                   CASE WHEN u.minutes_used <> i.minutes + t.minutes
                        THEN 'minutes_used ' || u.minutes_used || ' <> imported ' || i.minutes || ' + charged minutes of the calls ' || t.minutes END,
                   CASE WHEN u.minutes_overage <> greatest(0, u.minutes_used - u.minutes_included)
                        THEN 'minutes_overage ' || u.minutes_overage || ' <> max(0, used - included)' END,
                   CASE WHEN t.included <> least(t.minutes, greatest(0, u.minutes_included - i.minutes))
                        THEN 'the calls hold ' || t.included || ' included minutes, not min(charged, included - imported)' END,
                   CASE WHEN (\(recordedCalls.joined(separator: ", ")))
                             <> (t.local + i.local, t.std + i.std, t.isd + i.isd, t.mobile + i.mobile, t.toll_free + i.toll_free)
                        THEN 'answered calls by type (local/std/isd/mobile/toll-free) ' || n.recorded || ' <> '
                             || n.stored || ' of the calls + ' || n.imported || ' imported' END) AS problems) p
        -- A row no rating ever wrote and no call of which is stored is imported usage: nothing to check.
        WHERE (u.metadata ? '\(UsageMetadata.callCost)' OR t.calls > 0) AND p.problems <> ''
        ORDER BY 1
        """

    /// The usage row's imported part, a column a figure: `i.minutes`, `i.local`, ... `i.toll_free`.
    private static let importedColumns = zip(UsageMetadata.imported("u."), ["minutes", "local", "std", "isd", "mobile", "toll_free"])
        .map { "\($0) AS \($1)" }.joined(separator: ", ")

    /// The usage row's answered calls by type, local, std, isd, mobile, toll-free.
    private static let recordedCalls = UsageMetadata.figures("u.").dropFirst()

    /// Included minutes go in (start_time, uuid byte order): no call holding
    /// included minutes comes after one that paid overage in its period.
    static let order = """
        SELECT 'call ' || uuid || ': holds ' || included || ' included minutes after a call of its period that paid overage'
        FROM (
            SELECT c.uuid, \(CDRMetadata.includedMinutes.int("c")) AS included,
                   bool_or(\(CDRMetadata.overageMinutes.int("c")) > 0) OVER (
                       PARTITION BY c.subscription_id, \(CDRMetadata.usagePeriodStart.text("c"))
                       ORDER BY c.start_time, c.uuid COLLATE "C" ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS overage_before
            FROM cdrs c WHERE c.subscription_id IS NOT NULL
        ) x
        WHERE included > 0 AND overage_before
        ORDER BY 1
        """

    /// Each call: charged = included + overage, and a matched call is in the
    /// usage period its metadata names.
    static let calls = """
        SELECT 'call ' || uuid || ': charged ' || (\(CDRMetadata.chargedMinutes.text())) || ' <> included + overage'
        FROM cdrs
        WHERE subscription_id IS NOT NULL
          AND \(CDRMetadata.chargedMinutes.int()) <> \(CDRMetadata.includedMinutes.int()) + \(CDRMetadata.overageMinutes.int())
        ORDER BY 1
        """

    /// The violations, none when the database is consistent.
    public static func violations(_ db: Connection) throws -> [String] {
        try [usageRows, order, calls].flatMap { try db.query($0).rows.map { $0[0] ?? "?" } }
    }
}
