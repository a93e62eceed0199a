-- The month partitions of cdrs that have no planner statistics yet get some
-- before a file's (or a rerate's) changes are UPDATEd into them (issue 17,
-- the ingest margin). A month loaded by the bulk path, or filled by COPY into
-- a partition made ahead, has none until autovacuum comes round to it, a
-- minute or more later: the next file of the same run then re-priced its
-- late calls' stored calls, a few thousand, by a hash join over a scan of the
-- whole month (1.2 s for 1,634 calls of a 2M-row month), where the month's
-- uuid index takes 0.12 s. Only the uuid column is sampled, and at a
-- statistics target of 10 (3,000 rows: 0.03 s for a 1M-row month, against 0.3 s
-- at the default 100): the join's estimate needs only that the uuid is unique
-- (n_distinct -1), and the month's other columns, and finer statistics, are
-- autovacuum's to make. Run as the owner of cdrs (ANALYZE needs the
-- table's owner), so that a nightly role that owns nothing gets the plan too.
-- SKIP_LOCKED: a month another transaction is analyzing (a concurrent rater,
-- autovacuum) is left to it rather than waited for. In the caller's
-- transaction, so the file's own rows, not yet committed, are in the sample.
CREATE FUNCTION cdrs_analyze_months(first timestamptz, last timestamptz) RETURNS integer LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp SET default_statistics_target = 10 AS $$
DECLARE
    zone text := coalesce((SELECT value FROM public.billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata');
    part text;
    analyzed integer := 0;
BEGIN
    FOR part IN
        SELECT 'cdrs_' || to_char(m, 'YYYY_MM')
        FROM generate_series(public.cdrs_month_of((first AT TIME ZONE zone)::date),
                             public.cdrs_month_of((last AT TIME ZONE zone)::date), interval '1 month') AS m
    LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_inherits
                                  WHERE inhrelid = to_regclass('public.' || part) AND inhparent = 'public.cdrs'::regclass);
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'public' AND tablename = part AND attname = 'uuid');
        EXECUTE format('ANALYZE (SKIP_LOCKED) public.%I (uuid)', part);
        analyzed := analyzed + 1;
    END LOOP;
    RETURN analyzed;
END $$;

REVOKE EXECUTE ON FUNCTION cdrs_analyze_months(timestamptz, timestamptz) FROM PUBLIC;
