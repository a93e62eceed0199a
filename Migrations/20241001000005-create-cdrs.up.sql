-- Creates the cdrs table (call detail records, raw and rated) and its enums.
CREATE TYPE enum_cdrs_call_direction AS ENUM ('inbound', 'outbound');
CREATE TYPE enum_cdrs_call_type AS ENUM ('local', 'std', 'isd', 'mobile', 'toll_free');
CREATE TYPE enum_cdrs_call_status AS ENUM ('answered', 'no_answer', 'busy', 'failed', 'cancelled');
CREATE TYPE enum_cdrs_processing_status AS ENUM ('pending', 'processed', 'failed', 'retrying');

CREATE TABLE cdrs (
    id                uuid                        NOT NULL DEFAULT gen_random_uuid(),
    uuid              varchar(100)                NOT NULL,
    subscription_id   uuid                        NULL,
    account_id        uuid                        NULL,
    caller_id         varchar(50)                 NOT NULL,
    destination       varchar(50)                 NOT NULL,
    start_time        timestamptz                 NOT NULL,
    end_time          timestamptz                 NULL,
    duration          integer                     NOT NULL DEFAULT 0,
    billable_seconds  integer                     NOT NULL DEFAULT 0,
    call_direction    enum_cdrs_call_direction    NOT NULL,
    call_type         enum_cdrs_call_type         NOT NULL,
    call_status       enum_cdrs_call_status       NOT NULL,
    hangup_cause      varchar(100)                NULL,
    cost              numeric(10,4)               NOT NULL DEFAULT 0,
    processing_status enum_cdrs_processing_status NOT NULL DEFAULT 'pending',
    processing_error  text                        NULL,
    retry_count       integer                     NOT NULL DEFAULT 0,
    raw_cdr           jsonb                       NULL,
    metadata          jsonb                       NULL,
    created_at        timestamptz                 NOT NULL DEFAULT now(),
    updated_at        timestamptz                 NOT NULL DEFAULT now(),
    CONSTRAINT cdrs_pkey PRIMARY KEY (id),
    CONSTRAINT cdrs_uuid_key UNIQUE (uuid),
    CONSTRAINT cdrs_subscription_id_fkey FOREIGN KEY (subscription_id)
        REFERENCES subscriptions (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT cdrs_account_id_fkey FOREIGN KEY (account_id)
        REFERENCES accounts (id) ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE INDEX cdrs_uuid ON cdrs (uuid);
CREATE INDEX cdrs_subscription_id ON cdrs (subscription_id);
CREATE INDEX cdrs_account_id ON cdrs (account_id);
CREATE INDEX cdrs_caller_id ON cdrs (caller_id);
CREATE INDEX cdrs_destination ON cdrs (destination);
CREATE INDEX cdrs_start_time ON cdrs (start_time);
CREATE INDEX cdrs_processing_status ON cdrs (processing_status);
CREATE INDEX cdrs_call_type ON cdrs (call_type);
