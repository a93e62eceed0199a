-- Creates the rate_plans table (subscription catalog) and its plan_type enum.
CREATE TYPE enum_rate_plans_plan_type AS ENUM ('prepaid', 'postpaid');

CREATE TABLE rate_plans (
    id                      uuid                      NOT NULL DEFAULT gen_random_uuid(),
    name                    varchar(100)              NOT NULL,
    description             text                      NULL,
    plan_type               enum_rate_plans_plan_type NOT NULL DEFAULT 'prepaid',
    monthly_price           numeric(10,2)             NOT NULL,
    annual_price            numeric(10,2)             NULL,
    setup_fee               numeric(10,2)             NOT NULL DEFAULT 0,
    included_minutes        integer                   NOT NULL DEFAULT 0,
    included_dids           integer                   NOT NULL DEFAULT 0,
    max_concurrent_calls    integer                   NOT NULL DEFAULT 1,
    overage_rate_per_minute numeric(10,4)             NOT NULL DEFAULT 0,
    did_monthly_rate        numeric(10,2)             NOT NULL DEFAULT 0,
    features                jsonb                     NULL,
    is_active               boolean                   NOT NULL DEFAULT true,
    created_at              timestamptz               NOT NULL DEFAULT now(),
    updated_at              timestamptz               NOT NULL DEFAULT now(),
    CONSTRAINT rate_plans_pkey PRIMARY KEY (id),
    CONSTRAINT rate_plans_name_key UNIQUE (name)
);

CREATE INDEX rate_plans_name ON rate_plans (name);
CREATE INDEX rate_plans_is_active ON rate_plans (is_active);
