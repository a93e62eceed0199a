-- Months made by whoever calls cdrs_ensure_month again, with its own privileges (20241201000007's).
DROP FUNCTION cdrs_attach_month_load(date);
DROP FUNCTION cdrs_open_month_load(date);
CREATE OR REPLACE FUNCTION cdrs_ensure_month(day date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    zone text := coalesce((SELECT value FROM billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata');
    first date := date_trunc('month', day)::date;
    part text := 'cdrs_' || to_char(first, 'YYYY_MM');
    archived text;
BEGIN
    SELECT table_name INTO archived FROM cdr_months_archived WHERE month = first;
    IF archived IS NOT NULL THEN
        RAISE EXCEPTION 'the calls of % are archived (detached as table %): attach the month back first: cdr-rater partitions attach %',
            to_char(first, 'YYYY-MM'), archived, to_char(first, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_regclass(part) IS NULL THEN
        BEGIN
            EXECUTE format('CREATE TABLE %I PARTITION OF cdrs FOR VALUES FROM (%L) TO (%L)', part,
                           first::timestamp AT TIME ZONE zone, (first + interval '1 month')::timestamp AT TIME ZONE zone);
            PERFORM cdrs_guard_month(part::regclass);
        EXCEPTION WHEN duplicate_table THEN
            NULL; -- another run made it meanwhile
        END;
    END IF;
    RETURN part;
END $$;
DROP FUNCTION cdrs_month_of(date);
DROP FUNCTION cdrs_share_month(regclass);
GRANT EXECUTE ON FUNCTION cdrs_ensure_month(date), cdrs_guard_month(regclass) TO PUBLIC;
