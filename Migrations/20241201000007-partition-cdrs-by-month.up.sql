-- cdrs partitioned by month of start_time, so that a month's indexes stay
-- the size of a month, a past month can be loaded into a fresh table and
-- attached (the bulk backfill path), and an old month can be detached for
-- archiving. Months are months of the business zone (billing_settings),
-- partitions are named cdrs_YYYY_MM; cdrs_ensure_month() makes one, `rate`
-- makes those it needs, `cdr-rater partitions ensure --ahead N` the coming ones.
--
-- uuid uniqueness: a unique index of a partitioned table must include the
-- partition key, so UNIQUE (uuid) can no longer live on cdrs. cdr_uuids holds
-- every stored uuid once (its primary key), filled by a statement trigger from
-- the rows each INSERT or COPY adds, whoever writes them; a uuid stored in
-- another month raises unique_violation in the writer's transaction. It also
-- answers "is this uuid stored?" with one index probe instead of one per month,
-- and it keeps the uuids of detached months: a CDR re-sent after its month
-- was archived is still a duplicate.

-- Byte order ("C"): its btree compares with memcmp, not the locale's rules.
CREATE TABLE cdr_uuids (
    uuid       varchar(100) COLLATE "C" NOT NULL,
    start_time timestamptz  NOT NULL,
    CONSTRAINT cdr_uuids_pkey PRIMARY KEY (uuid)
);

-- Months detached for archiving: rating refuses calls of these months (their
-- stored calls are gone from cdrs, so included minutes could not be allocated).
CREATE TABLE cdr_months_archived (
    month       date        NOT NULL PRIMARY KEY,
    table_name  text        NOT NULL,
    detached_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE cdrs RENAME TO cdrs_unpartitioned;
ALTER TABLE cdrs_unpartitioned DROP CONSTRAINT cdrs_pkey, DROP CONSTRAINT cdrs_uuid_key,
    DROP CONSTRAINT cdrs_subscription_id_fkey, DROP CONSTRAINT cdrs_account_id_fkey;
DROP INDEX cdrs_subscription_id, cdrs_account_id, cdrs_caller_id, cdrs_destination, cdrs_start_time,
    cdrs_processing_status, cdrs_call_type, cdrs_holding_included_minutes;

CREATE TABLE cdrs (LIKE cdrs_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (start_time);
ALTER TABLE cdrs
    ADD CONSTRAINT cdrs_pkey PRIMARY KEY (id, start_time),
    ADD CONSTRAINT cdrs_subscription_id_fkey FOREIGN KEY (subscription_id)
        REFERENCES subscriptions (id) ON DELETE SET NULL ON UPDATE CASCADE,
    ADD CONSTRAINT cdrs_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES accounts (id) ON DELETE SET NULL ON UPDATE CASCADE;
-- Per month: lookups by uuid (cdr_uuids says which month), by subscription, by time.
CREATE INDEX cdrs_uuid ON cdrs (uuid);
CREATE INDEX cdrs_subscription_id ON cdrs (subscription_id);
CREATE INDEX cdrs_account_id ON cdrs (account_id);
CREATE INDEX cdrs_caller_id ON cdrs (caller_id);
CREATE INDEX cdrs_destination ON cdrs (destination);
CREATE INDEX cdrs_start_time ON cdrs (start_time);
CREATE INDEX cdrs_processing_status ON cdrs (processing_status);
CREATE INDEX cdrs_call_type ON cdrs (call_type);
CREATE INDEX cdrs_holding_included_minutes ON cdrs (subscription_id, start_time)
    WHERE (metadata->>'included_minutes')::int > 0;

CREATE FUNCTION cdrs_register_uuids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cdr_uuids (uuid, start_time) SELECT uuid, start_time FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER cdrs_register_uuids AFTER INSERT ON cdrs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cdrs_register_uuids();

CREATE FUNCTION cdrs_forget_uuids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cdr_uuids u USING old_rows o WHERE u.uuid = o.uuid;
    RETURN NULL;
END $$;
CREATE TRIGGER cdrs_forget_uuids AFTER DELETE ON cdrs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cdrs_forget_uuids();

CREATE FUNCTION cdrs_move_uuid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cdr_uuids SET uuid = NEW.uuid, start_time = NEW.start_time WHERE uuid = OLD.uuid;
    RETURN NEW;
END $$;
CREATE TRIGGER cdrs_move_uuid BEFORE UPDATE OF uuid, start_time ON cdrs
    FOR EACH ROW WHEN (OLD.uuid IS DISTINCT FROM NEW.uuid OR OLD.start_time IS DISTINCT FROM NEW.start_time)
    EXECUTE FUNCTION cdrs_move_uuid();

-- A month's table keeps the registry too when written to directly, not
-- through cdrs (statement triggers fire for the table a statement names).
CREATE FUNCTION cdrs_guard_month(part regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER cdrs_register_uuids AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION cdrs_register_uuids()', part);
    EXECUTE format('CREATE TRIGGER cdrs_forget_uuids AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION cdrs_forget_uuids()', part);
END $$;

-- The partition of the month holding `day` (in the business zone): made when
-- missing; its name either way. Refuses an archived month.
CREATE FUNCTION cdrs_ensure_month(day date) RETURNS text LANGUAGE plpgsql AS $$
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

SELECT cdrs_ensure_month(m)
FROM (SELECT DISTINCT (start_time AT TIME ZONE coalesce((SELECT value FROM billing_settings WHERE name = 'business_zone'), 'Asia/Kolkata'))::date AS m
      FROM cdrs_unpartitioned) days;
INSERT INTO cdrs SELECT * FROM cdrs_unpartitioned;
DROP TABLE cdrs_unpartitioned;
