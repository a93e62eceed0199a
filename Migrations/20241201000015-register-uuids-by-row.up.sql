-- The uuid registry (cdr_uuids, 20241201000007) filled by a row trigger on
-- cdrs instead of a statement trigger with a transition table (issue 17, the
-- ingest margin). The statement trigger kept a copy of every row a COPY added,
-- whole, for its one INSERT at the end: a million rows of cdrs are far more
-- than work_mem, so the copy went to a temporary file and was read back; and
-- PostgreSQL COPYs into a partitioned table one row at a time, not in batches,
-- while a statement trigger on it needs a transition table. The row trigger
-- inserts the row's uuid and start time, nothing else, as the row's after-trigger
-- event at the end of the statement (COPY keeps its batches). Measured with
-- scripts/bench-copy: see the README.
-- The guarantee is the same: every uuid stored once, in whatever month, by any
-- writer (a duplicate is a unique_violation of cdr_uuids_pkey in its
-- transaction). A row trigger on cdrs is cloned by PostgreSQL onto each
-- month, those made or attached later included, so a writer naming a month's
-- table directly fires it too; cdrs_guard_month now makes a month's DELETE
-- trigger only. The bulk path and the month rewrite fill their fresh table
-- before it is a partition (no trigger fires) and register or keep its uuids
-- themselves, as before.
CREATE FUNCTION cdrs_register_uuid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cdr_uuids (uuid, start_time) VALUES (NEW.uuid, NEW.start_time);
    RETURN NULL;
END $$;

-- The statement triggers go: on cdrs, on its months, and on the tables of the
-- months detached for archiving (a row trigger cloned at their attach takes over).
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT tgrelid::regclass FROM pg_trigger WHERE tgname = 'cdrs_register_uuids' ORDER BY 1 LOOP
        EXECUTE format('DROP TRIGGER cdrs_register_uuids ON %s', t);
    END LOOP;
END $$;
DROP FUNCTION cdrs_register_uuids();

CREATE TRIGGER cdrs_register_uuid AFTER INSERT ON cdrs FOR EACH ROW EXECUTE FUNCTION cdrs_register_uuid();

-- A month's table keeps the registry right when deleted from directly (statement
-- triggers fire for the table a statement names); inserts are the row trigger's.
CREATE OR REPLACE FUNCTION cdrs_guard_month(part regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER cdrs_forget_uuids AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION cdrs_forget_uuids()', part);
END $$;
