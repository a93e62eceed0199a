import Postgres

/// The equalities of SPEC section 3, checked in SQL against what is stored.
/// Each violation is one line naming the usage row or call and what is off.
public enum MoneyCheck {
    /// Every usage row against its period's stored calls.
    static let usageRows = """
        SELECT s.subscription_number || ' period from ' || to_char(u.billing_period_start AT TIME ZONE z.zone, 'YYYY-MM-DD HH24:MI')
               || ' ' || z.zone || ': '
               || concat_ws('; ',
                   CASE WHEN u.overage_cost <> round(t.cost, 2)
                        THEN 'overage_cost ' || u.overage_cost || ' <> round2(sum of call costs ' || t.cost || ')' END,
                   CASE WHEN coalesce((u.metadata->>'call_cost')::numeric, -1) <> t.cost
                        THEN 'metadata.call_cost ' || coalesce(u.metadata->>'call_cost', 'missing') || ' <> ' || t.cost END,
                   CASE WHEN u.minutes_used <> coalesce((u.metadata->>'imported_minutes')::int, 0) + t.minutes
                        THEN 'minutes_used ' || u.minutes_used || ' <> imported + charged minutes of the calls ' || t.minutes END,
                   CASE WHEN u.minutes_overage <> greatest(0, u.minutes_used - u.minutes_included)
                        THEN 'minutes_overage ' || u.minutes_overage || ' <> max(0, used - included)' END,
                   CASE WHEN t.included <> least(t.minutes, greatest(0, u.minutes_included - coalesce((u.metadata->>'imported_minutes')::int, 0)))
                        THEN 'the calls hold ' || t.included || ' included minutes, not min(charged, included - imported)' END,
                   CASE WHEN (u.local_calls, u.std_calls, u.isd_calls, u.mobile_calls, coalesce((u.metadata->>'toll_free_calls')::int, 0))
                             <> (t.local, t.std, t.isd, t.mobile, t.toll_free)
                        THEN 'answered calls by type differ from the calls' END)
        FROM subscription_usage u
        JOIN subscriptions s ON s.id = u.subscription_id
        CROSS JOIN (SELECT \(CatalogLoader.businessZoneSQL) AS zone) z
        CROSS JOIN LATERAL (
            SELECT count(*) AS calls, coalesce(sum(c.cost), 0) AS cost,
                   coalesce(sum((c.metadata->>'charged_minutes')::int), 0) AS minutes,
                   coalesce(sum((c.metadata->>'included_minutes')::int), 0) AS included,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'local') AS local,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'std') AS std,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'isd') AS isd,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'mobile') AS mobile,
                   count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'toll_free') AS toll_free
            FROM cdrs c
            WHERE c.subscription_id = u.subscription_id
              AND c.start_time >= u.billing_period_start AND c.start_time < u.billing_period_end
        ) t
        -- A row no rating ever wrote and no call of which is stored is imported usage: nothing to check.
        WHERE (u.metadata ? 'call_cost' OR t.calls > 0) AND (u.overage_cost <> round(t.cost, 2)
           OR coalesce((u.metadata->>'call_cost')::numeric, -1) <> t.cost
           OR u.minutes_used <> coalesce((u.metadata->>'imported_minutes')::int, 0) + t.minutes
           OR u.minutes_overage <> greatest(0, u.minutes_used - u.minutes_included)
           OR t.included <> least(t.minutes, greatest(0, u.minutes_included - coalesce((u.metadata->>'imported_minutes')::int, 0)))
           OR (u.local_calls, u.std_calls, u.isd_calls, u.mobile_calls, coalesce((u.metadata->>'toll_free_calls')::int, 0))
              <> (t.local, t.std, t.isd, t.mobile, t.toll_free))
        ORDER BY 1
        """

    /// Included minutes go in (start_time, uuid byte order): no call holding
    /// included minutes comes after one that paid overage in its period.
    static let order = """
        SELECT 'call ' || uuid || ': holds ' || included || ' included minutes after a call of its period that paid overage'
        FROM (
            SELECT c.uuid, (c.metadata->>'included_minutes')::int AS included,
                   bool_or((c.metadata->>'overage_minutes')::int > 0) OVER (
                       PARTITION BY c.subscription_id, c.metadata->>'usage_period_start'
                       ORDER BY c.start_time, c.uuid COLLATE "C" ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS overage_before
            FROM cdrs c WHERE c.subscription_id IS NOT NULL
        ) x
        WHERE included > 0 AND overage_before
        ORDER BY 1
        """

    /// Each call: charged = included + overage, and a matched call is in the
    /// usage period its metadata names.
    static let calls = """
        SELECT 'call ' || uuid || ': charged ' || (metadata->>'charged_minutes') || ' <> included + overage'
        FROM cdrs
        WHERE subscription_id IS NOT NULL
          AND (metadata->>'charged_minutes')::int <> (metadata->>'included_minutes')::int + (metadata->>'overage_minutes')::int
        ORDER BY 1
        """

    /// The violations, none when the database is consistent.
    public static func violations(_ db: Connection) throws -> [String] {
        try [usageRows, order, calls].flatMap { try db.query($0).rows.map { $0[0] ?? "?" } }
    }
}
