-- Each `cdr-rater rerate`: what it selected, what it changed, when.
CREATE TABLE rerate_runs (
    id                uuid          NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    selection         jsonb         NOT NULL,
    calls_examined    integer       NOT NULL,
    calls_rematched   integer       NOT NULL,
    calls_repriced    integer       NOT NULL,
    periods           integer       NOT NULL,
    cost_before       numeric(14,4) NOT NULL,
    cost_after        numeric(14,4) NOT NULL,
    cost_delta        numeric(14,4) NOT NULL,
    started_at        timestamptz   NOT NULL,
    finished_at       timestamptz   NOT NULL,
    created_at        timestamptz   NOT NULL DEFAULT now()
);

-- One row per change to a stored call's cost or subscription: a late file
-- that re-priced it (reason late_call, cdr_file_id) or a rerate (reason
-- rerate, rerate_run_id). With the call's first pricing (cdrs.metadata.source)
-- these explain every paisa of its cost.
CREATE TABLE cdr_cost_history (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cdr_uuid             varchar(100)  NOT NULL,
    call_start_time      timestamptz   NOT NULL,
    old_cost             numeric(10,4) NOT NULL,
    new_cost             numeric(10,4) NOT NULL,
    old_subscription_id  uuid          NULL,
    new_subscription_id  uuid          NULL,
    old_included_minutes integer       NULL,
    new_included_minutes integer       NULL,
    old_overage_minutes  integer       NULL,
    new_overage_minutes  integer       NULL,
    reason               varchar(20)   NOT NULL CHECK (reason IN ('late_call', 'rerate')),
    cdr_file_id          uuid          NULL REFERENCES cdr_files (id) ON DELETE SET NULL,
    rerate_run_id        uuid          NULL REFERENCES rerate_runs (id) ON DELETE SET NULL,
    changed_at           timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX cdr_cost_history_cdr_uuid ON cdr_cost_history (cdr_uuid);
CREATE INDEX cdr_cost_history_rerate_run_id ON cdr_cost_history (rerate_run_id) WHERE rerate_run_id IS NOT NULL;
CREATE INDEX cdr_cost_history_cdr_file_id ON cdr_cost_history (cdr_file_id) WHERE cdr_file_id IS NOT NULL;
