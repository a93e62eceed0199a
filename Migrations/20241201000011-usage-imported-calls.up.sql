-- Keeps a usage row's imported answered calls apart, as
-- 20241201000002-usage-call-totals does its imported minutes:
--   metadata.imported_local_calls, imported_std_calls, imported_isd_calls,
--   imported_mobile_calls, imported_toll_free_calls: the answered calls of
--   each type the row counts beyond its stored calls (usage imported from an
--   earlier system), which rate and rerate keep as they are.
-- Every row rating has written (it has imported_minutes) gets them from its
-- stored calls, again on every run of this migration (a row an earlier
-- version rated after a down keeps no stale figure). A row rating never wrote
-- is all imported, calls as well as minutes, and gets them when rating first
-- writes it. A row of a period with archived (detached) calls is left as it
-- is, since its calls cannot be counted here (a row rated before this
-- migration then reads as no imported calls, as before).
UPDATE subscription_usage u
SET metadata = u.metadata || jsonb_build_object(
        'imported_local_calls', greatest(0, u.local_calls - t.local),
        'imported_std_calls', greatest(0, u.std_calls - t.std),
        'imported_isd_calls', greatest(0, u.isd_calls - t.isd),
        'imported_mobile_calls', greatest(0, u.mobile_calls - t.mobile),
        'imported_toll_free_calls', greatest(0, coalesce((u.metadata->>'toll_free_calls')::int, 0) - t.toll_free))
FROM (
    SELECT u2.id,
           count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'local') AS local,
           count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'std') AS std,
           count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'isd') AS isd,
           count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'mobile') AS mobile,
           count(*) FILTER (WHERE c.call_status = 'answered' AND c.call_type = 'toll_free') AS toll_free
    FROM subscription_usage u2
    LEFT JOIN cdrs c ON c.subscription_id = u2.subscription_id
                    AND c.start_time >= u2.billing_period_start AND c.start_time < u2.billing_period_end
    WHERE u2.metadata ? 'imported_minutes'
      AND NOT EXISTS (
          SELECT 1 FROM cdr_months_archived a,
                 (SELECT coalesce((SELECT value FROM billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata') AS zone) z
          WHERE a.month::timestamp AT TIME ZONE z.zone < u2.billing_period_end
            AND (a.month + interval '1 month')::timestamp AT TIME ZONE z.zone > u2.billing_period_start)
    GROUP BY u2.id
) t
WHERE t.id = u.id;
