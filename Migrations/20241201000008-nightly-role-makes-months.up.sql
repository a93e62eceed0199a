-- A nightly role that owns nothing (cdr-rater grants) rates a month with no
-- partition yet: making a partition takes the owner of cdrs, so these
-- functions run as their owner (SECURITY DEFINER), with search_path fixed
-- (pg_temp last, so that a caller's temporary table shadows nothing) and every
-- name schema-qualified. They take nothing but a date, and EXECUTE on them
-- goes only to the roles 'cdr-rater grants --role NAME --apply' names.
-- A new month gets the privileges cdrs has (cdrs_share_month): the roles that
-- may write cdrs may write its months, the bulk path's fresh table included.

-- The privileges granted on cdrs, granted on `part` too.
CREATE FUNCTION cdrs_share_month(part regclass) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT r.rolname, a.privilege_type
             FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee
             WHERE c.oid = 'public.cdrs'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON %s TO %I', g.privilege_type, part, g.rolname);
    END LOOP;
END $$;

-- The first day of the month holding `day`; refuses no date and dates outside years 1 to 9999.
CREATE FUNCTION cdrs_month_of(day date) RETURNS date LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF day IS NULL OR day < date '0001-01-01' OR day >= date '10000-01-01' THEN
        RAISE EXCEPTION 'a month of cdrs is a date in years 1 to 9999, got %', coalesce(day::text, 'none')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN make_date(extract(year FROM day)::int, extract(month FROM day)::int, 1);
END $$;

-- The partition of the month holding `day` (in the business zone): made when
-- missing; its name either way. Refuses an archived month. (20241201000007's,
-- run as the owner, and giving the new month the privileges of cdrs.)
CREATE OR REPLACE FUNCTION cdrs_ensure_month(day date) RETURNS text LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    zone text := coalesce((SELECT value FROM public.billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata');
    first date := public.cdrs_month_of(day);
    part text := 'cdrs_' || to_char(first, 'YYYY_MM');
    archived text;
BEGIN
    SELECT table_name INTO archived FROM public.cdr_months_archived WHERE month = first;
    IF archived IS NOT NULL THEN
        RAISE EXCEPTION 'the calls of % are archived (detached as table %): attach the month back first: cdr-rater partitions attach %',
            to_char(first, 'YYYY-MM'), archived, to_char(first, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_regclass('public.' || part) IS NULL THEN
        BEGIN
            EXECUTE format('CREATE TABLE public.%I PARTITION OF public.cdrs FOR VALUES FROM (%L) TO (%L)', part,
                           first::timestamp AT TIME ZONE zone, (first + interval '1 month')::timestamp AT TIME ZONE zone);
            PERFORM public.cdrs_guard_month(('public.' || part)::regclass);
            PERFORM public.cdrs_share_month(('public.' || part)::regclass);
        EXCEPTION WHEN duplicate_table THEN
            NULL; -- another run made it meanwhile
        END;
    END IF;
    RETURN part;
END $$;

-- The bulk backfill path, first step, in the file's transaction: a fresh
-- table for the month holding `day`, shaped like cdrs, with its privileges,
-- for the caller to COPY the month's calls into; its name. Refuses a month
-- that has a table already or is archived.
CREATE FUNCTION cdrs_open_month_load(day date) RETURNS text LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    first date := public.cdrs_month_of(day);
    part text := 'cdrs_' || to_char(first, 'YYYY_MM');
BEGIN
    IF EXISTS (SELECT 1 FROM public.cdr_months_archived WHERE month = first) THEN
        RAISE EXCEPTION 'the calls of % are archived (detached): attach the month back first: cdr-rater partitions attach %',
            to_char(first, 'YYYY-MM'), to_char(first, 'YYYY-MM') USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_regclass('public.' || part) IS NOT NULL THEN
        RAISE EXCEPTION 'the month % has its table % already: its calls go into cdrs, not a fresh table', to_char(first, 'YYYY-MM'), part
            USING ERRCODE = 'duplicate_table';
    END IF;
    EXECUTE format('CREATE TABLE public.%I (LIKE public.cdrs INCLUDING DEFAULTS)', part);
    PERFORM public.cdrs_share_month(('public.' || part)::regclass);
    RETURN part;
END $$;

-- The bulk backfill path, second step, once the calls are in the fresh table
-- of the month holding `day`: its indexes are built (the parent's, in one pass
-- each), its foreign keys validated in one set-based pass each, its uuids
-- registered in one sorted INSERT, and it is attached as the month's
-- partition (a CHECK of its bounds spares ATTACH the scan). Refuses any table
-- but a fresh one that cdrs_open_month_load made.
CREATE FUNCTION cdrs_attach_month_load(day date) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp SET maintenance_work_mem = '256MB' AS $$
DECLARE
    zone text := coalesce((SELECT value FROM public.billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata');
    first date := public.cdrs_month_of(day);
    part text := 'cdrs_' || to_char(first, 'YYYY_MM');
    rel regclass := to_regclass('public.' || part);
    lower timestamptz := first::timestamp AT TIME ZONE zone;
    upper timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE zone;
    ix record;
    made text;
    fk record;
BEGIN
    IF rel IS NULL OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = rel) OR NOT EXISTS (
        SELECT 1 FROM pg_class t, pg_class p
        WHERE t.oid = rel AND t.relkind = 'r' AND p.oid = 'public.cdrs'::regclass AND t.relowner = p.relowner) THEN
        RAISE EXCEPTION 'no fresh table of % to attach: cdrs_open_month_load makes it, in the same transaction', to_char(first, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- The parent's indexes as this table's: "CREATE [UNIQUE] INDEX cdrs_x ON ONLY public.cdrs USING ..." made over.
    FOR ix IN SELECT i.relname, pg_get_indexdef(i.oid) AS def, x.indisprimary
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
              WHERE x.indrelid = 'public.cdrs'::regclass ORDER BY i.relname
    LOOP
        IF ix.indisprimary THEN
            EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I PRIMARY KEY %s', part, part || '_pkey', substr(ix.def, strpos(ix.def, '(')));
            CONTINUE;
        END IF;
        made := replace(ix.def, 'INDEX ' || ix.relname || ' ON ONLY public.cdrs ',
                        format('INDEX %I ON public.%I ', part || substr(ix.relname, length('cdrs') + 1), part));
        IF made = ix.def THEN
            RAISE EXCEPTION 'cannot read the index % of cdrs to build it on %: %', ix.relname, part, ix.def;
        END IF;
        EXECUTE made;
    END LOOP;
    -- The parent's foreign keys, each validated in one pass; ATTACH then takes them as the partition's.
    FOR fk IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
              WHERE conrelid = 'public.cdrs'::regclass AND contype = 'f' ORDER BY conname
    LOOP
        EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I %s', part, part || substr(fk.conname, length('cdrs') + 1), fk.def);
    END LOOP;
    EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (start_time >= %L AND start_time < %L)', part, part || '_bounds', lower, upper);
    EXECUTE format('INSERT INTO public.cdr_uuids (uuid, start_time) SELECT uuid, start_time FROM public.%I ORDER BY uuid COLLATE "C"', part);
    EXECUTE format('ALTER TABLE public.cdrs ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)', part, lower, upper);
    EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', part, part || '_bounds');
    PERFORM public.cdrs_guard_month(rel);
END $$;

REVOKE EXECUTE ON FUNCTION cdrs_share_month(regclass), cdrs_month_of(date), cdrs_ensure_month(date),
    cdrs_open_month_load(date), cdrs_attach_month_load(date), cdrs_guard_month(regclass) FROM PUBLIC;
