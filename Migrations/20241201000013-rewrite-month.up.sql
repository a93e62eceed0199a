-- The bulk path of `rerate` (issue 17): when a rerate changes a large share of
-- a month's calls, the month is written anew into a fresh table instead of
-- UPDATEd row by row (each UPDATE is a new tuple in every index of the month),
-- then swapped in place of the month's partition, all in the rerate's
-- transaction. Three steps, each as the owner of cdrs (SECURITY DEFINER, like
-- the backfill path's cdrs_open_month_load and cdrs_attach_month_load of
-- 20241201000008), so a nightly role that owns nothing takes this path too:
--   cdrs_open_month_rewrite   a fresh table cdrs_YYYY_MM_rewrite shaped like the month's partition,
--                             with the privileges of cdrs and of the partition; the caller fills it
--                             (one INSERT ... SELECT of the month's rows, changes applied);
--   cdrs_build_month_rewrite  its indexes (the parent's, one pass each), its foreign keys (one
--                             set-based pass each), a CHECK of its bounds; refuses a table that
--                             does not hold the month's calls, each once, as cdr_uuids has them;
--   cdrs_swap_month_rewrite   the old partition detached and dropped, the fresh table renamed to
--                             it (indexes and constraints too) and attached, its uuid triggers made.
-- cdr_uuids is not touched: a rerate changes neither a call's uuid nor its start time.

-- The fresh table of the month holding `day`, for its rows re-priced; its name.
CREATE FUNCTION cdrs_open_month_rewrite(day date) RETURNS text LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    first date := public.cdrs_month_of(day);
    part text := 'cdrs_' || to_char(first, 'YYYY_MM');
    fresh text := part || '_rewrite';
    old regclass := to_regclass('public.' || part);
    g record;
BEGIN
    IF old IS NULL OR NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = old AND inhparent = 'public.cdrs'::regclass) THEN
        RAISE EXCEPTION 'the month % has no partition of cdrs to rewrite', to_char(first, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_regclass('public.' || fresh) IS NOT NULL THEN
        RAISE EXCEPTION 'the table % is there already: a rewrite of % makes it and swaps it in, in one transaction', fresh, to_char(first, 'YYYY-MM')
            USING ERRCODE = 'duplicate_table';
    END IF;
    EXECUTE format('CREATE TABLE public.%I (LIKE public.%I INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMMENTS)', fresh, part);
    -- The partition's storage parameters (fillfactor, autovacuum settings), if any.
    IF (SELECT reloptions FROM pg_class WHERE oid = old) IS NOT NULL THEN
        EXECUTE format('ALTER TABLE public.%I SET (%s)', fresh, (SELECT array_to_string(reloptions, ', ') FROM pg_class WHERE oid = old));
    END IF;
    -- What cdrs grants (a new month's privileges), and what the partition itself grants besides.
    PERFORM public.cdrs_share_month(('public.' || fresh)::regclass);
    FOR g IN SELECT a.grantee, a.privilege_type, a.is_grantable
             FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
             WHERE c.oid = old AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON public.%I TO %s%s', g.privilege_type, fresh,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                       CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    RETURN fresh;
END $$;

-- The fresh table of the month holding `day`, once filled: indexes, foreign keys, bounds.
CREATE FUNCTION cdrs_build_month_rewrite(day date) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp SET maintenance_work_mem = '256MB' AS $$
DECLARE
    zone text := coalesce((SELECT value FROM public.billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata');
    first date := public.cdrs_month_of(day);
    part text := 'cdrs_' || to_char(first, 'YYYY_MM');
    fresh text := part || '_rewrite';
    rel regclass := to_regclass('public.' || fresh);
    lower timestamptz := first::timestamp AT TIME ZONE zone;
    upper timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE zone;
    ix record;
    made text;
    fk record;
    old_rows bigint;
    new_rows bigint;
    registered bigint;
BEGIN
    IF rel IS NULL OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = rel) OR EXISTS (SELECT 1 FROM pg_index WHERE indrelid = rel)
       OR NOT EXISTS (SELECT 1 FROM pg_class t, pg_class p
                      WHERE t.oid = rel AND t.relkind = 'r' AND p.oid = 'public.cdrs'::regclass AND t.relowner = p.relowner) THEN
        RAISE EXCEPTION 'no fresh table of % to build: cdrs_open_month_rewrite makes it, in the same transaction', to_char(first, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- The month's calls, each once, with the uuid and start time cdr_uuids has for it: the registry
    -- stays right without being written (a count of the old rows, and a probe of cdr_uuids a row).
    EXECUTE format('SELECT count(*) FROM public.cdrs WHERE start_time >= %L AND start_time < %L', lower, upper) INTO old_rows;
    EXECUTE format('SELECT count(*), count(u.uuid) FROM public.%I f LEFT JOIN public.cdr_uuids u ON u.uuid = f.uuid AND u.start_time = f.start_time',
                   fresh) INTO new_rows, registered;
    IF new_rows <> old_rows OR registered <> new_rows THEN
        RAISE EXCEPTION 'the rewrite of % holds % rows (% of them as cdr_uuids has them), the month % : nothing was changed',
            to_char(first, 'YYYY-MM'), new_rows, registered, old_rows USING ERRCODE = 'data_exception';
    END IF;
    -- The parent's indexes (20241201000008's cdrs_attach_month_load, named after the fresh table until the swap).
    FOR ix IN SELECT i.relname, pg_get_indexdef(i.oid) AS def, x.indisprimary
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
              WHERE x.indrelid = 'public.cdrs'::regclass ORDER BY i.relname
    LOOP
        IF ix.indisprimary THEN
            EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I PRIMARY KEY %s', fresh, fresh || '_pkey', substr(ix.def, strpos(ix.def, '(')));
            CONTINUE;
        END IF;
        made := replace(ix.def, 'INDEX ' || ix.relname || ' ON ONLY public.cdrs ',
                        format('INDEX %I ON public.%I ', fresh || substr(ix.relname, length('cdrs') + 1), fresh));
        IF made = ix.def THEN
            RAISE EXCEPTION 'cannot read the index % of cdrs to build it on %: %', ix.relname, fresh, ix.def;
        END IF;
        EXECUTE made;
    END LOOP;
    FOR fk IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
              WHERE conrelid = 'public.cdrs'::regclass AND contype = 'f' ORDER BY conname
    LOOP
        EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I %s', fresh, fresh || substr(fk.conname, length('cdrs') + 1), fk.def);
    END LOOP;
    EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (start_time >= %L AND start_time < %L)', fresh, fresh || '_bounds', lower, upper);
END $$;

-- The built fresh table of the month holding `day` in place of its partition, under the partition's name.
CREATE FUNCTION cdrs_swap_month_rewrite(day date) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    zone text := coalesce((SELECT value FROM public.billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata');
    first date := public.cdrs_month_of(day);
    part text := 'cdrs_' || to_char(first, 'YYYY_MM');
    fresh text := part || '_rewrite';
    rel regclass := to_regclass('public.' || fresh);
    old regclass := to_regclass('public.' || part);
    lower timestamptz := first::timestamp AT TIME ZONE zone;
    upper timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE zone;
    r record;
BEGIN
    IF rel IS NULL OR old IS NULL OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = rel)
       OR NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = old AND inhparent = 'public.cdrs'::regclass)
       OR NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = rel AND conname = fresh || '_bounds') THEN
        RAISE EXCEPTION 'no built rewrite of % to swap in: cdrs_open_month_rewrite and cdrs_build_month_rewrite make it, in the same transaction',
            to_char(first, 'YYYY-MM') USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    EXECUTE format('ALTER TABLE public.cdrs DETACH PARTITION public.%I', part);
    EXECUTE format('DROP TABLE public.%I', part);
    EXECUTE format('ALTER TABLE public.%I RENAME TO %I', fresh, part);
    -- Constraints first (a primary key's index goes with it), then the other indexes.
    FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = rel AND starts_with(conname, fresh) ORDER BY 1 LOOP
        EXECUTE format('ALTER TABLE public.%I RENAME CONSTRAINT %I TO %I', part, r.conname, part || substr(r.conname, length(fresh) + 1));
    END LOOP;
    FOR r IN SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = rel AND starts_with(i.relname, fresh) ORDER BY 1 LOOP
        EXECUTE format('ALTER INDEX public.%I RENAME TO %I', r.relname, part || substr(r.relname, length(fresh) + 1));
    END LOOP;
    EXECUTE format('ALTER TABLE public.cdrs ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)', part, lower, upper);
    EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', part, part || '_bounds');
    PERFORM public.cdrs_guard_month(rel);
END $$;

REVOKE EXECUTE ON FUNCTION cdrs_open_month_rewrite(date), cdrs_build_month_rewrite(date), cdrs_swap_month_rewrite(date) FROM PUBLIC;
