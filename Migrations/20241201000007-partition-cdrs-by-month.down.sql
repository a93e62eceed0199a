-- Back to one cdrs table with UNIQUE (uuid); detached months stay where they are.
CREATE TABLE cdrs_unpartitioned (LIKE cdrs INCLUDING DEFAULTS);
INSERT INTO cdrs_unpartitioned SELECT * FROM cdrs;
DROP TABLE cdrs;
DROP FUNCTION cdrs_ensure_month(date);
DROP FUNCTION cdrs_guard_month(regclass);
DROP FUNCTION cdrs_register_uuids();
DROP FUNCTION cdrs_forget_uuids();
DROP FUNCTION cdrs_move_uuid();
DROP TABLE cdr_months_archived;
DROP TABLE cdr_uuids;
ALTER TABLE cdrs_unpartitioned RENAME TO cdrs;
ALTER TABLE cdrs
    ADD CONSTRAINT cdrs_pkey PRIMARY KEY (id),
    ADD CONSTRAINT cdrs_uuid_key UNIQUE (uuid),
    ADD CONSTRAINT cdrs_subscription_id_fkey FOREIGN KEY (subscription_id)
        REFERENCES subscriptions (id) ON DELETE SET NULL ON UPDATE CASCADE,
    ADD CONSTRAINT cdrs_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES accounts (id) ON DELETE SET NULL ON UPDATE CASCADE;
CREATE INDEX cdrs_subscription_id ON cdrs (subscription_id);
CREATE INDEX cdrs_account_id ON cdrs (account_id);
CREATE INDEX cdrs_caller_id ON cdrs (caller_id);
CREATE INDEX cdrs_destination ON cdrs (destination);
CREATE INDEX cdrs_start_time ON cdrs (start_time);
CREATE INDEX cdrs_processing_status ON cdrs (processing_status);
CREATE INDEX cdrs_call_type ON cdrs (call_type);
CREATE INDEX cdrs_holding_included_minutes ON cdrs (subscription_id, start_time)
    WHERE (metadata->>'included_minutes')::int > 0;
