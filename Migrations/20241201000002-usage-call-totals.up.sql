-- Records, on every usage row, what its stored calls account for, so that a
-- file can be rated without reading the period's every call:
--   metadata.imported_minutes: minutes_used beyond the stored calls' charged
--     minutes (usage imported from an earlier system), used before every call;
--   metadata.call_cost: the exact sum of the stored calls' cost, of which
--     overage_cost is the rounding to paise.
-- Rows written before this migration get both from their stored calls;
-- overage_cost and balances are left as they are: 'cdr-rater check' names the
-- rows whose overage_cost differs, and 'cdr-rater rerate' re-prices them.
UPDATE subscription_usage u
SET metadata = coalesce(u.metadata, '{}'::jsonb)
             || jsonb_build_object('imported_minutes', greatest(0, u.minutes_used - t.minutes), 'call_cost', t.cost::text)
FROM (
    SELECT u2.id, coalesce(sum((c.metadata->>'charged_minutes')::int), 0) AS minutes,
           coalesce(sum(c.cost), 0)::numeric(14,4) AS cost
    FROM subscription_usage u2
    LEFT JOIN cdrs c ON c.subscription_id = u2.subscription_id
                    AND c.start_time >= u2.billing_period_start AND c.start_time < u2.billing_period_end
    GROUP BY u2.id
) t
WHERE t.id = u.id;
