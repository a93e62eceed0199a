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
                   coalesce(sum(\(CDRMetadata.seconds(.billedSeconds, "c"))), 0) AS billed,
                   coalesce(sum(\(CDRMetadata.seconds(.bundleSeconds, "c"))), 0) AS bundle,
                   coalesce(sum(\(CDRMetadata.seconds(.coveredSeconds, "c"))), 0) AS covered,
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
                   CASE WHEN u.minutes_used <> i.minutes + (t.billed + 59) / 60
                        THEN 'minutes_used ' || u.minutes_used || ' <> imported ' || i.minutes
                             || ' + the calls'' billed seconds ' || t.billed || ' / 60, rounded up' END,
                   CASE WHEN u.minutes_overage <> (t.billed - t.covered + 59) / 60 + greatest(0, i.minutes - u.minutes_included)
                        THEN 'minutes_overage ' || u.minutes_overage || ' <> the calls'' uncovered billed seconds '
                             || (t.billed - t.covered) || ' / 60, rounded up, + imported minutes past the included' END,
                   CASE WHEN t.covered <> least(t.bundle, greatest(0, u.minutes_included - i.minutes) * 60)
                        THEN 'the bundle covers ' || t.covered || ' billed seconds of the calls, not min(their in-bundle seconds '
                             || t.bundle || ', (included - imported) x 60)' END,
                   CASE WHEN coalesce((u.metadata->>'\(UsageMetadata.billedSeconds)')::bigint, t.billed) <> t.billed
                          OR coalesce((u.metadata->>'\(UsageMetadata.coveredSeconds)')::bigint, t.covered) <> t.covered
                        THEN 'metadata.\(UsageMetadata.billedSeconds)/\(UsageMetadata.coveredSeconds) '
                             || (u.metadata->>'\(UsageMetadata.billedSeconds)') || '/' || (u.metadata->>'\(UsageMetadata.coveredSeconds)')
                             || ' <> the calls'' ' || t.billed || '/' || t.covered END,
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

    /// Included minutes go in (start_time, uuid byte order): no call the
    /// bundle covers comes after one of its period whose in-bundle seconds it did not cover.
    static let order = """
        SELECT 'call ' || uuid || ': the bundle covers ' || covered || ' of its billed seconds after a call of its period '
               || 'whose in-bundle seconds it did not cover'
        FROM (
            SELECT c.uuid, \(CDRMetadata.seconds(.coveredSeconds, "c")) AS covered,
                   bool_or(\(CDRMetadata.seconds(.bundleSeconds, "c")) > \(CDRMetadata.seconds(.coveredSeconds, "c"))) OVER (
                       PARTITION BY c.subscription_id, \(CDRMetadata.usagePeriodStart.text("c"))
                       ORDER BY c.start_time, c.uuid COLLATE "C" ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS uncovered_before
            FROM cdrs c WHERE c.subscription_id IS NOT NULL
        ) x
        WHERE covered > 0 AND uncovered_before
        ORDER BY 1
        """

    /// Each call: covered <= in-bundle <= billed seconds, and the minutes shown are its seconds / 60, rounded up.
    static let calls = """
        SELECT 'call ' || uuid || ': billed ' || \(CDRMetadata.seconds(.billedSeconds)) || ', in-bundle '
               || \(CDRMetadata.seconds(.bundleSeconds)) || ', covered ' || \(CDRMetadata.seconds(.coveredSeconds))
               || ' seconds, charged/included/overage minutes ' || (\(CDRMetadata.chargedMinutes.text())) || '/'
               || (\(CDRMetadata.includedMinutes.text())) || '/' || (\(CDRMetadata.overageMinutes.text())) || ' do not agree'
        FROM cdrs
        WHERE subscription_id IS NOT NULL
          AND NOT (\(CDRMetadata.seconds(.coveredSeconds)) <= \(CDRMetadata.seconds(.bundleSeconds))
                   AND \(CDRMetadata.seconds(.bundleSeconds)) <= \(CDRMetadata.seconds(.billedSeconds))
                   AND \(CDRMetadata.chargedMinutes.int()) = (\(CDRMetadata.seconds(.billedSeconds)) + 59) / 60
                   AND \(CDRMetadata.includedMinutes.int()) = (\(CDRMetadata.seconds(.coveredSeconds)) + 59) / 60
                   AND \(CDRMetadata.overageMinutes.int())
                       = (\(CDRMetadata.seconds(.billedSeconds)) - \(CDRMetadata.seconds(.coveredSeconds)) + 59) / 60)
        ORDER BY 1
        """

    /// The violations, none when the database is consistent.
    public static func violations(_ db: Connection) throws -> [String] {
        try [usageRows, order, calls].flatMap { try db.query($0).rows.map { $0[0] ?? "?" } }
    }
}
