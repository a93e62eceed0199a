-- The registry filled by statement triggers with a transition table again
-- (20241201000007's): on cdrs, on each month and on the archived months' tables.
CREATE FUNCTION cdrs_register_uuids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cdr_uuids (uuid, start_time) SELECT uuid, start_time FROM new_rows;
    RETURN NULL;
END $$;
DROP TRIGGER cdrs_register_uuid ON cdrs; -- and its clones on the months
DROP FUNCTION cdrs_register_uuid();
CREATE TRIGGER cdrs_register_uuids AFTER INSERT ON cdrs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cdrs_register_uuids();
CREATE OR REPLACE FUNCTION cdrs_guard_month(part regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER cdrs_register_uuids AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION cdrs_register_uuids()', part);
    EXECUTE format('CREATE TRIGGER cdrs_forget_uuids AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION cdrs_forget_uuids()', part);
END $$;
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'cdrs'::regclass
             UNION SELECT to_regclass(table_name) FROM cdr_months_archived WHERE to_regclass(table_name) IS NOT NULL
             ORDER BY 1 LOOP
        EXECUTE format('CREATE TRIGGER cdrs_register_uuids AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION cdrs_register_uuids()', t);
    END LOOP;
END $$;
